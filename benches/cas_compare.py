"""The same derivations in SymPy and SymEngine, entry by entry with concrete
small sizes, for comparison with gradproof's symbolic matrix derivation.

Prints one line per case: time (or 'gave up' after the limit) and the size
of the result (nodes counted by the CAS's own tree walk)."""
import sys, time, signal

LIMIT = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


def count(lib, exprs):
    seen = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        stack.extend(e.args)
    return len(seen)


def mat(lib, rows, cols, name):
    """A matrix of fresh symbols (built from lists: both libraries accept that)."""
    return lib.Matrix([[lib.Symbol(name(i, j)) for j in range(cols)] for i in range(rows)])


def rnn(lib, T, n=3, p=2):
    W = mat(lib, n, p, lambda i, j: f"W{i}{j}")
    U = mat(lib, n, n, lambda i, j: f"U{i}{j}")
    h = mat(lib, n, 1, lambda i, j: f"h0_{i}")
    for t in range(T):
        x = mat(lib, p, 1, lambda i, j, t=t: f"x{t}_{i}")
        z = W * x + U * h
        h = z.applyfunc(lib.tanh)
    loss = sum(h[i] ** 2 for i in range(n))
    return [lib.diff(loss, U[i, j]) for i in range(n) for j in range(n)]


def mlp(lib, L, n=3):
    x = mat(lib, n, 1, lambda i, j: f"x{i}")
    a = x
    for l in range(L - 1):
        W = mat(lib, n, n, lambda i, j, l=l: f"W{l}_{i}{j}")
        a = (W * a).applyfunc(lib.tanh)
    W = mat(lib, n, n, lambda i, j: f"WL_{i}{j}")
    z = W * a
    lse = lib.log(sum(lib.exp(z[i]) for i in range(n)))
    J = lse - z[0]  # cross-entropy with y = e1
    return [lib.diff(J, W[i, j]) for i in range(n) for j in range(n)]


def run(name, lib, case, size):
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    t0 = time.perf_counter()
    try:
        res = case(lib, size)
        dt = time.perf_counter() - t0
        nodes = count(lib, res)
        print(f"{name:<10} {case.__name__}={size:<6} {dt * 1e3:12.1f} ms {nodes:>10} nodes", flush=True)
    except Timeout:
        print(f"{name:<10} {case.__name__}={size:<6}      gave up after {LIMIT:.0f} s", flush=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main():
    import sympy
    import symengine
    for name, lib in (("symengine", symengine), ("sympy", sympy)):
        for case in (rnn, mlp):
            for size in (10, 100, 1000):
                run(name, lib, case, size)


if __name__ == "__main__":
    sys.setrecursionlimit(100000)
    main()
