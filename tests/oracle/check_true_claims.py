#!/usr/bin/env python3
"""Independent numeric check of the true claims of tests/inputs/adv_*.grad,
textbook_*.grad and the false ones whose falsity is subtle, hand-translated
to numpy (gradients by central differences) and mpmath (60 digits), at
random points with sizes 1..8 and magnitudes up to 1e3.

    python3 -m venv /tmp/adv-venv && /tmp/adv-venv/bin/pip install numpy mpmath
    /tmp/adv-venv/bin/python tests/oracle/check_true_claims.py
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 60
rng = np.random.default_rng(1)
fails = []
count = 0


def close(name, a, b, rtol=1e-6, atol=1e-8):
    global count
    count += 1
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.allclose(a, b, rtol=rtol, atol=atol):
        fails.append((name, a, b))


def mclose(name, a, b, tol=mp.mpf(10) ** -40):
    global count
    count += 1
    if abs(a - b) > tol * (1 + abs(a) + abs(b)):
        fails.append((name, a, b))


def mdiffer(name, a, b):
    """A false claim: the sides must differ at this point."""
    global count
    count += 1
    if abs(a - b) <= mp.mpf(10) ** -50 * (1 + abs(a)):
        fails.append(("should differ: " + name, a, b))


def num_grad(f, X, eps=1e-6):
    X = np.array(X, dtype=float)
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += eps
        Xm[idx] -= eps
        G[idx] = (f(Xp) - f(Xm)) / (2 * eps)
    return G


def num_jac(f, x, eps=1e-6):
    cols = []
    for i in range(len(x)):
        e = np.zeros(len(x)); e[i] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.array(cols).T


sig = lambda z: 1 / (1 + np.exp(-z))
relu = lambda z: np.maximum(z, 0)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def lse(z):
    return z.max() + np.log(np.exp(z - z.max()).sum())


msig = lambda z: 1 / (1 + mp.exp(-z))

# ------------------------------------------------ scalar identities (mpmath)
for trial in range(40):
    scale = [1, 10, 1000][trial % 3]
    s, t, a, b = [mp.mpf(rng.normal() * scale) for _ in range(4)]
    p = mp.mpf(abs(rng.normal() * scale)) + mp.mpf(10) ** -6
    mclose("(s^2)^(1/2) = abs(s)", mp.sqrt(s ** 2), abs(s))
    mclose("sqrt(a^2 b^2) = |a||b|", mp.sqrt(a * a * b * b), abs(a) * abs(b))
    mclose("exp(log(r^2)/2) = |r|", mp.exp(mp.log(s * s) / 2), abs(s))
    mclose("log((ab)^2) = log a^2 + log b^2", mp.log((a * b) ** 2), mp.log(a ** 2) + mp.log(b ** 2))
    mclose("exp(log|a|+log|b|) = |ab|", mp.exp(mp.log(abs(a)) + mp.log(abs(b))), abs(a * b))
    mclose("log(1+p) = log p + log(1+1/p)", mp.log(1 + p), mp.log(p) + mp.log(1 + 1 / p))
    mclose("sigmoid(-s) = 1 - sigmoid(s)", msig(-s), 1 - msig(s))
    mclose("tanh = 2 sigmoid(2s) - 1", mp.tanh(s), 2 * msig(2 * s) - 1)
    mclose("relu(s)+relu(-s) = |s|", max(s, 0) + max(-s, 0), abs(s))
    mclose("max = (a+b+|a-b|)/2", max(a, b), (a + b + abs(a - b)) / 2)
    mclose("min(s,t) = s - relu(s-t)", min(s, t), s - max(s - t, 0))
    mclose("a(b+1)^2 expansion", a * (b + 1) ** 2, a * b ** 2 + 2 * a * b + a)
    mclose("a(b+1)^2 - a(b-1)^2 = 4ab", a * (b + 1) ** 2 - a * (b - 1) ** 2, 4 * a * b)
    mclose("sextic", (s * s - 1) * (s * s - 4) * (s * s - 9), s ** 6 - 14 * s ** 4 + 49 * s ** 2 - 36)
    mclose("(exp(s)+1e20)-1e20", (mp.exp(s / scale) + mp.mpf(10) ** 20) - mp.mpf(10) ** 20, mp.exp(s / scale))
    mclose("(s + 2^64)^2", (s + mp.mpf(2) ** 64) ** 2, s * s + mp.mpf(2) ** 65 * s + mp.mpf(2) ** 128)
    mclose("tanh(s+1000) = 2 sig(2s+2000) - 1", mp.tanh(s + 1000), 2 * msig(2 * s + 2000) - 1)
    mclose("d tanh(st)/ds", mp.diff(lambda u: mp.tanh(u * t), s / scale), t - t * mp.tanh(t * s / scale) ** 2, tol=mp.mpf(10) ** -20)
    # G = log(1 + exp(s t)) - s^2 t, printed derivatives
    ss, tt = s / scale, t / scale
    G = lambda u, v: mp.log(1 + mp.exp(u * v)) - u * u * v
    e = mp.exp(ss * tt)
    mclose("dG/ds", mp.diff(lambda u: G(u, tt), ss), tt * (e * (1 / (1 + e)) + ss * (-2)), tol=mp.mpf(10) ** -20)
    mclose("dG/dt", mp.diff(lambda v: G(ss, v), tt), ss * (e * (1 / (1 + e))) + ss ** 2 * (-1), tol=mp.mpf(10) ** -20)
    # subtle false claims differ
    mdiffer("tanh(s)(1+1e-20) = tanh(s)", mp.tanh(s) * (1 + mp.mpf(10) ** -20), mp.tanh(s))
    mdiffer("sqrt(s^2+1e-30) = |s|", mp.sqrt(s * s + mp.mpf(10) ** -30), abs(s))
    mdiffer("tanh(s/1e2) = s/1e2", mp.tanh(s / 100), s / 100)
    mdiffer("(s+2^64)^2 ... + 1", (s + mp.mpf(2) ** 64) ** 2, s * s + mp.mpf(2) ** 65 * s + mp.mpf(2) ** 128 + 1)

# the falsity witnesses of the small-box claims
x = mp.mpf(7) / 1000  # off the quarter grid
mdiffer("quarter-grid polynomial", mp.fprod([4 * x - k for k in range(-12, 13)]), 0)
mdiffer("third difference of a cubic", (lambda g: g(3) - 3 * g(2) + 3 * g(1) - g(0))(lambda u: u ** 3), 0)
mdiffer("lengths: (T-1)...(T-6) at T = 7", mp.fprod([7 - k for k in range(1, 7)]), 0)

# ------------------------------------------------ matrices (numpy)
for trial in range(30):
    n, k, m = rng.integers(1, 9, size=3)
    A, B, S = (rng.normal(size=(n, n)) for _ in range(3))
    C, D = rng.normal(size=(n, k)), rng.normal(size=(k, n))
    u, v, x, w = (rng.normal(size=n) for _ in range(4))
    z = rng.normal(size=k) * [1, 5, 30][trial % 3]
    tt = rng.normal() * 10
    close("B (A)^T = (A B^T)^T", B @ A.T, (A @ B.T).T)
    close("det(u v^T + I) = 1 + v^T u", np.linalg.det(np.outer(u, v) + np.eye(n)), 1 + v @ u, rtol=1e-6, atol=1e-6)
    close("tr(A C D) = tr(D A C)", np.trace(A @ C @ D), np.trace(D @ A @ C))
    close("tr(C D) = sum(C ∘ D^T)", np.trace(C @ D), np.sum(C * D.T))
    close("tr(ABS) = tr(SAB)", np.trace(A @ B @ S), np.trace(S @ A @ B))
    u3, v3 = rng.normal(size=3), rng.normal(size=3)
    close("det(u3 v3^T) = 0", np.linalg.det(np.outer(u3, v3)), 0, atol=1e-9)
    p3 = rng.dirichlet(np.ones(3) * [0.05, 1, 20][trial % 3])
    p3 = np.maximum(p3, 1e-300); p3 /= p3.sum()
    close("norm(p3)^2 >= 1/3", p3 @ p3 >= 1 / 3 - 1e-15, True)
    close("entropy <= 1.0987", -np.sum(p3 * np.log(p3)) <= 1.0987, True)
    close("softmax shift", softmax(z + tt), softmax(z))
    close("lse shift", lse(z + tt), lse(z) + tt)
    close("softmax = exp(z - lse)", np.exp(z - lse(z)), softmax(z))
    M2 = rng.normal(size=(2, 2))
    close("Cayley-Hamilton 2x2", M2 @ M2 - np.trace(M2) * M2 + np.linalg.det(M2) * np.eye(2), np.zeros((2, 2)), atol=1e-9)
    close("det 2x2 from traces", np.linalg.det(M2), (np.trace(M2) ** 2 - np.trace(M2 @ M2)) / 2)
    M3 = rng.normal(size=(3, 3))
    close("Cayley-Hamilton 3x3", M3 @ M3 @ M3 - np.trace(M3) * M3 @ M3 + (np.trace(M3) ** 2 - np.trace(M3 @ M3)) / 2 * M3 - np.linalg.det(M3) * np.eye(3), np.zeros((3, 3)), atol=1e-9)
    close("(A+B)^2", (A + B) @ (A + B), A @ A + A @ B + B @ A + B @ B)
    close("((A^T B)^T C^T)^T = C A^T B", ((A.T @ B).T @ D.T).T, D @ A.T @ B)

# ------------------------------------------------ gradients (central differences)
for trial in range(12):
    n, m, k = rng.integers(1, 7, size=3)
    x, w = rng.normal(size=n), rng.normal(size=n)
    t, ys, lam = rng.normal(), rng.normal(), abs(rng.normal()) + 0.1
    A, b = rng.normal(size=(m, n)), rng.normal(size=m)
    M = rng.normal(size=(n, n))
    R = rng.normal(size=(n, n)); X = R @ R.T + n * np.eye(n)
    V, c2 = rng.normal(size=(k, n)), rng.normal(size=k)
    W1, c1, W2 = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=(k, m))
    u2, zt, yg, z = rng.normal(size=m), rng.normal(size=k), rng.normal(size=k), rng.normal(size=k)
    y = np.zeros(k); y[rng.integers(k)] = 1
    yp = rng.random(k) + 0.01; yp /= yp.sum()

    r = w @ x - t
    close("grad Jlin w", num_grad(lambda w_: (w_ @ x - t) ** 2 / 2, w), r * x, rtol=1e-5, atol=1e-6)
    p = sig(w @ x)
    Jlog = lambda w_: -(ys * np.log(sig(w_ @ x)) + (1 - ys) * np.log(1 - sig(w_ @ x)))
    close("grad Jlog w", num_grad(Jlog, w), (p - ys) * x, rtol=1e-5, atol=1e-6)
    q = softmax(V @ x + c2)
    close("grad Jsm V", num_grad(lambda V_: -np.sum(y * np.log(softmax(V_ @ x + c2))), V), np.outer(q - y, x), rtol=1e-5, atol=1e-6)
    close("grad Jsm x", num_grad(lambda x_: -np.sum(y * np.log(softmax(V @ x_ + c2))), x), V.T @ (q - y), rtol=1e-5, atol=1e-6)
    e = A @ x - b
    close("grad Jls x", num_grad(lambda x_: np.sum((A @ x_ - b) ** 2), x), 2 * A.T @ e, rtol=1e-5, atol=1e-6)
    close("grad Jls A", num_grad(lambda A_: np.sum((A_ @ x - b) ** 2), A), 2 * np.outer(e, x), rtol=1e-5, atol=1e-6)
    close("grad Jreg x", num_grad(lambda x_: np.sum((A @ x_ - b) ** 2) + lam * x_ @ x_, x), 2 * A.T @ e + 2 * lam * x, rtol=1e-5, atol=1e-6)
    close("grad Jr2 w", num_grad(lambda w_: (w_ @ x - t) ** 2 / 2 + lam / 2 * w_ @ w_, w), r * x + lam * w, rtol=1e-5, atol=1e-6)
    close("grad x^T M x", num_grad(lambda x_: x_ @ M @ x_, x), (M + M.T) @ x, rtol=1e-5, atol=1e-6)
    close("grad w^T M^T M w", num_grad(lambda w_: w_ @ M.T @ M @ w_, w), 2 * M.T @ M @ w, rtol=1e-5, atol=1e-6)
    close("grad tr(M X)", num_grad(lambda X_: np.trace(M @ X_), X), M.T, rtol=1e-5, atol=1e-6)
    close("grad logdet", num_grad(lambda X_: np.linalg.slogdet(X_)[1], X), np.linalg.inv(X).T, rtol=1e-4, atol=1e-6)
    close("grad norm", num_grad(lambda x_: np.linalg.norm(x_), x), x / np.linalg.norm(x), rtol=1e-5, atol=1e-6)
    close("grad norm(Ax-b)", num_grad(lambda x_: np.linalg.norm(A @ x_ - b), x), A.T @ e / np.linalg.norm(e), rtol=1e-5, atol=1e-6)
    # tanh MLP
    a1 = np.tanh(W1 @ x + c1); o = softmax(W2 @ a1 + c2)
    g2 = o - y; g1 = (W2.T @ g2) * (1 - a1 * a1)
    Jm = lambda W1_, c1_, W2_, x_: -np.sum(y * np.log(softmax(W2_ @ np.tanh(W1_ @ x_ + c1_) + c2)))
    close("Jm W1", num_grad(lambda P: Jm(P, c1, W2, x), W1), np.outer(g1, x), rtol=1e-5, atol=1e-6)
    close("Jm c1", num_grad(lambda P: Jm(W1, P, W2, x), c1), g1, rtol=1e-5, atol=1e-6)
    close("Jm W2", num_grad(lambda P: Jm(W1, c1, P, x), W2), np.outer(g2, a1), rtol=1e-5, atol=1e-6)
    close("Jm x", num_grad(lambda P: Jm(W1, c1, W2, P), x), W1.T @ g1, rtol=1e-5, atol=1e-6)
    # sigmoid MLP, squared error
    a2 = sig(W1 @ x + c1); e2 = W2 @ a2 + c2 - zt; g3 = (W2.T @ e2) * a2 * (1 - a2)
    Jq = lambda W1_, W2_: np.sum((W2_ @ sig(W1_ @ x + c1) + c2 - zt) ** 2) / 2
    close("Jq W1", num_grad(lambda P: Jq(P, W2), W1), np.outer(g3, x), rtol=1e-5, atol=1e-6)
    close("Jq W2", num_grad(lambda P: Jq(W1, P), W2), np.outer(e2, a2), rtol=1e-5, atol=1e-6)
    # relu layer
    z1 = W1 @ x + c1
    close("Jr W1", num_grad(lambda P: u2 @ relu(P @ x + c1), W1), np.outer(u2 * (z1 > 0), x), rtol=1e-4, atol=1e-5)
    # Jacobians and cross-entropies
    sz = softmax(z)
    close("jac softmax", num_jac(softmax, z), np.diag(sz) - np.outer(sz, sz), rtol=1e-5, atol=1e-7)
    close("jac sigmoid", num_jac(sig, z), np.diag(sig(z) * (1 - sig(z))), rtol=1e-5, atol=1e-7)
    close("jac tanh", num_jac(np.tanh, z), np.eye(k) - np.diag(np.tanh(z) ** 2), rtol=1e-5, atol=1e-7)
    close("CE simplex", num_grad(lambda z_: -np.sum(yp * np.log(softmax(z_))), z), sz - yp, rtol=1e-5, atol=1e-6)
    close("CE general", num_grad(lambda z_: -np.sum(yg * np.log(softmax(z_))), z), yg.sum() * sz - yg, rtol=1e-5, atol=1e-6)
    close("grad lse", num_grad(lse, z), sz, rtol=1e-5, atol=1e-7)
    # printed K = |w ∘ a|^2 / 2 + sigmoid(w^T a), a = tanh(V x + c)
    Vm, cm, wm = rng.normal(size=(m, n)), rng.normal(size=m), rng.normal(size=m)
    K = lambda V_, c_, w_: np.sum((w_ * np.tanh(V_ @ x + c_)) ** 2) / 2 + sig(w_ @ np.tanh(V_ @ x + c_))
    a = np.tanh(Vm @ x + cm); e1 = sig(wm @ a); e2_ = e1 * (1 - e1); e3 = e2_ * wm + wm * (wm * a); e4 = e3 * (1 - a * a)
    close("K V", num_grad(lambda P: K(P, cm, wm), Vm), np.outer(e4, x), rtol=1e-5, atol=1e-6)
    close("K w", num_grad(lambda P: K(Vm, cm, P), wm), wm * a * a + e2_ * a, rtol=1e-5, atol=1e-6)
    # dropout
    h, rr, wv = rng.normal(size=n), rng.random(n), rng.normal(size=n)
    pk = rng.random() * 0.9 + 0.1
    mk = (rr < pk).astype(float)
    close("dropout", num_grad(lambda h_: wv @ (h_ * mk) / pk, h), wv * mk / pk, rtol=1e-5, atol=1e-6)
    # leaky relu, away from the kink
    zz = rng.normal(size=n)
    close("leaky", num_grad(lambda z_: wv @ np.maximum(z_, 0.01 * z_), zz), wv * ((zz > 0) + 0.01 * (zz <= 0)), rtol=1e-5, atol=1e-6)

# ------------------------------------------------ RNN closed forms
def rnn_check(T, n, p):
    W, U = rng.normal(size=(n, p)) / 2, rng.normal(size=(n, n)) / 2
    xs = [rng.normal(size=p) for _ in range(T + 1)]
    h0 = rng.normal(size=n)
    cvec = rng.normal(size=n)
    g, gp = np.tanh, lambda z: 1 - np.tanh(z) ** 2
    Lf = lambda hv: np.sum(np.sin(hv * cvec)) + (hv @ hv) ** 2 / 10
    Lp = lambda hv: cvec * np.cos(hv * cvec) + 0.4 * (hv @ hv) * hv

    def forward(W_, U_):
        hs, zs = [h0], []
        for t in range(T):
            zs.append(W_ @ xs[t] + U_ @ hs[t])
            hs.append(g(zs[-1]))
        return hs, zs

    hs, zs = forward(W, U)
    D = [np.diag(gp(zk)) for zk in zs]

    def prodUD(a, b):  # prod(k in a..b, U^T D[k])
        P = np.eye(n)
        for kk in range(a, b + 1):
            P = P @ U.T @ D[kk]
        return P

    GU = sum(D[t - 1] @ prodUD(t, T - 1) @ np.outer(Lp(hs[T]), hs[t - 1]) for t in range(1, T + 1))
    close(f"rnn grad U T={T}", num_grad(lambda U_: Lf(forward(W, U_)[0][T]), U), GU, rtol=1e-5, atol=1e-6)
    GW = sum(D[t - 1] @ prodUD(t, T - 1) @ np.outer(Lp(hs[T]), xs[t - 1]) for t in range(1, T + 1))
    close(f"rnn grad W T={T}", num_grad(lambda W_: Lf(forward(W_, U)[0][T]), W), GW, rtol=1e-5, atol=1e-6)
    GA = sum(sum(D[s - 1] @ prodUD(s, t - 1) @ np.outer(Lp(hs[t]), hs[s - 1]) for s in range(1, t + 1)) for t in range(1, T + 1))
    close(f"rnn grad lossall U T={T}", num_grad(lambda U_: sum(Lf(hv) for hv in forward(W, U_)[0][1:]), U), GA, rtol=1e-5, atol=1e-6)
    J = np.eye(n)
    for kk in range(T - 1, -1, -1):
        J = J @ D[kk] @ U
    h0v = h0.copy()

    def hT_of_h0(hh):
        hv = hh
        for t in range(T):
            hv = g(W @ xs[t] + U @ hv)
        return hv
    close(f"rnn jac T={T}", num_jac(hT_of_h0, h0v), J, rtol=1e-5, atol=1e-7)
    close(f"rnn grad h0 T={T}", num_grad(lambda hh: Lf(hT_of_h0(hh)), h0v), prodUD(0, T - 1) @ Lp(hs[T]), rtol=1e-5, atol=1e-6)


for T in range(1, 9):
    rnn_check(T, int(rng.integers(1, 5)), int(rng.integers(1, 4)))

print(f"{count} checks, {len(fails)} failed")
for name, a, b in fails[:40]:
    print("FAIL", name, a, b)
raise SystemExit(1 if fails else 0)
