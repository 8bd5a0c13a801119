"""Checks a module written by `gradproof export --to numpy` with NumPy alone.

    python check_export.py MODULE.py [--seed N] [--draws N]

For every exported function (its parameters carry shape notes such as
"vec[n]", "mat[m, n] spd", "vec[p] for t in 0..T-1", "elementwise",
"length"), draws random inputs for several sizes of each symbolic dimension
and several lengths, and compares every returned gradient, entry by entry,
with central finite differences of the returned forward value (float64,
eps 1e-6, atol 1e-6, rtol 1e-5). Prints one line per function and exits 1
on the first mismatch, with the sizes, the variable, the entry and both
numbers.
"""

import argparse
import importlib.util
import inspect
import re
import sys

import numpy as np

EPS = 1e-6
ATOL = 1e-6
RTOL = 1e-5
SHAPE = re.compile(r"^(scalar|vec\[(\w+)\]|mat\[(\w+), (\w+)\])(.*)$")
SEQ = re.compile(r"^ for t in (-?\d+)\.\.(\w+)([+-]\d+)?$")
ATTRS = {"onehot", "simplex", "positive", "symmetric", "spd", "invertible"}


class Mismatch(Exception):
    pass


def size(token, dims):
    return int(token) if token.isdigit() else dims[token]


def draw_array(rng, rows, cols, attrs):
    """A value that satisfies the declared attributes."""
    a = rng.normal(size=(rows, cols))
    if "onehot" in attrs:
        a = np.zeros((rows, cols))
        a[rng.integers(rows), rng.integers(cols)] = 1.0
    elif "simplex" in attrs:
        e = np.exp(a)
        a = e / np.sum(e)
    elif "positive" in attrs:
        a = np.exp(a)
    if "spd" in attrs:
        a = a @ a.T + rows * np.eye(rows)
    elif "symmetric" in attrs:
        a = (a + a.T) / 2
    elif "invertible" in attrs:
        a = a + 2 * rows * np.eye(rows)
    return a


def elementwise(rng):
    """A smooth scalar function and its derivative, from one of three families."""
    kind = rng.integers(3)
    a, b, c = rng.uniform(0.5, 1.5), rng.uniform(-1, 1), rng.uniform(-0.5, 0.5)
    if kind == 0:
        return (lambda u: np.sin(a * u + b)), (lambda u: a * np.cos(a * u + b))
    if kind == 1:
        return (lambda u: np.tanh(a * u) + c * u), (lambda u: a * (1 - np.tanh(a * u) ** 2) + c)
    return (lambda u: a * u + c * u**3 / 3 + b), (lambda u: a + c * u**2)


def scalar_map(rng):
    """A smooth function of a vector (or matrix) to a scalar, and its gradient."""
    a, d = rng.uniform(0.5, 1.5), rng.uniform(-0.5, 0.5)

    def weights(v):
        return 0.5 + 0.25 * np.arange(v.size).reshape(v.shape)

    return (
        lambda v: float(np.sum(weights(v) * np.sin(a * v)) + d * np.sum(v * v)),
        lambda v: weights(v) * a * np.cos(a * v) + 2 * d * v,
    )


def inputs(fn, rng, dims, length):
    """Keyword arguments for `fn` and the names of its array inputs."""
    args = {}
    pending = {}
    for name, p in inspect.signature(fn).parameters.items():
        note = p.annotation
        if not isinstance(note, str):
            raise SystemExit(f"{fn.__name__}: parameter {name} has no shape note")
        if note == "length":
            args[name] = length
            continue
        if note == "elementwise" or " -> " in note:
            f, df = elementwise(rng) if note == "elementwise" else scalar_map(rng)
            args[name] = f
            pending[name] = df
            continue
        if note.startswith("derivative of ") or note.startswith("gradient of "):
            base = note.split()[-1]
            args[name] = pending[base]
            continue
        m = SHAPE.match(note)
        if not m:
            raise SystemExit(f"{fn.__name__}: cannot read the shape note {note!r} of {name}")
        if m.group(1) == "scalar":
            rows, cols = 1, 1
        elif m.group(2):
            rows, cols = size(m.group(2), dims), 1
        else:
            rows, cols = size(m.group(3), dims), size(m.group(4), dims)
        rest = m.group(5)
        attrs = {w for w in rest.split() if w in ATTRS}
        seq = SEQ.match(rest)
        if seq:
            if seq.group(2).isdigit():
                last = int(seq.group(2))
            else:
                last = length + int(seq.group(3) or 0)
            args[name] = [draw_array(rng, rows, cols, attrs) for _ in range(last + 1)]
        elif m.group(1) == "scalar":
            args[name] = float(draw_array(rng, 1, 1, attrs)[0, 0])
        else:
            args[name] = draw_array(rng, rows, cols, attrs)
    return args


def symbols(fn):
    out = set()
    for p in inspect.signature(fn).parameters.values():
        m = SHAPE.match(p.annotation) if isinstance(p.annotation, str) else None
        if m:
            out.update(t for t in m.groups()[1:4] if t and not t.isdigit())
    return sorted(out)


def value(fn, args):
    v = fn(**args)[0]
    return float(np.asarray(v).reshape(()))


def check(fn, args, where):
    """Every gradient entry against central differences of the forward value."""
    f0, grads = fn(**args)
    if not np.isfinite(np.asarray(f0, dtype=float)).all():
        return 0
    entries = 0
    for name, g in grads.items():
        x = args[name]
        if np.shape(g) != np.shape(x):
            raise Mismatch(f"{where}: the gradient w.r.t. {name} has shape {np.shape(g)}, {name} has {np.shape(x)}")
        g = np.asarray(g, dtype=float)
        for ix in np.ndindex(np.shape(x)):
            def at(delta):
                moved = dict(args)
                if isinstance(x, float):
                    moved[name] = x + delta
                else:
                    y = np.array(x, dtype=float)
                    y[ix] += delta
                    moved[name] = y
                return value(fn, moved)

            fd = (at(EPS) - at(-EPS)) / (2 * EPS)
            got = float(g[ix]) if ix else float(g)
            if not abs(fd - got) <= ATOL + RTOL * abs(fd):
                raise Mismatch(
                    f"{where}: d/d{name}{list(ix)}: exported {got!r}, finite differences {fd!r}"
                )
            entries += 1
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=8)
    opts = ap.parse_args()
    spec = importlib.util.spec_from_file_location("exported", opts.module)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fns = [f for n, f in inspect.getmembers(mod, inspect.isfunction) if n.startswith("grad_")]
    if not fns:
        raise SystemExit(f"{opts.module}: no exported function")
    failed = False
    for fn in sorted(fns, key=lambda f: f.__name__):
        rng = np.random.default_rng(opts.seed)
        syms = symbols(fn)
        has_length = any(p.annotation == "length" for p in inspect.signature(fn).parameters.values())
        entries = points = 0
        sizes_seen = set()
        for k in range(opts.draws):
            # Every size 1..4 of each dimension and every length 1..4 occur.
            dims = {s: 1 + (k + i) % 4 for i, s in enumerate(syms)}
            length = 1 + k % 4 if has_length else None
            for _ in range(10):
                args = inputs(fn, rng, dims, length)
                where = f"{fn.__name__} at {dims}" + (f", T = {length}" if has_length else "")
                try:
                    got = check(fn, args, where)
                except Mismatch as e:
                    print(f"MISMATCH {e}")
                    failed = True
                    break
                if got:
                    entries += got
                    points += 1
                    sizes_seen.add(tuple(sorted(dims.items())) + ((("T", length),) if has_length else ()))
                    break
            if failed:
                break
        if failed:
            break
        if points == 0:
            print(f"MISMATCH {fn.__name__}: the forward value was not finite at any point drawn")
            failed = True
            break
        print(f"{fn.__name__}: {entries} gradient entries agree at {points} points ({len(sizes_seen)} sizes)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
