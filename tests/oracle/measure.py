#!/usr/bin/env python3
"""Measures the adversarial suite through the command line: runs
`gradproof check --format json --seed N` on every tests/inputs/adv_*,
textbook_* and mutant_* file for the given seeds and prints, per category,
the false claims reported proved/checked, the true claims reported
refuted/unknown, the `# either` claims reported proved, the undefined
claims not reported unknown, and the claims whose verdict changes with the seed.

    python3 tests/oracle/measure.py [--bin target/release/gradproof] [--seeds 10]
"""
import argparse, glob, json, os, subprocess, sys
from collections import defaultdict

CATEGORIES = [
    ("1 parsing", ("adv_parsing",)),
    ("2 conditions", ("adv_conditions",)),
    ("3 small box", ("adv_smallbox", "adv_lengths", "adv_assume")),
    ("4 rounding", ("adv_rounding",)),
    ("5 kinks", ("adv_kinks",)),
    ("6 textbook/mutants", ("textbook_", "mutant_")),
    ("7 printed results", ("adv_printed",)),
    ("undefined", ("adv_unknown",)),
]


def category(name):
    for cat, prefixes in CATEGORIES:
        if name.startswith(prefixes):
            return cat
    raise SystemExit(f"{name}: no category; add its prefix to CATEGORIES")


def classify(name, line_text, expect):
    if name == "adv_unknown.grad":
        return "undefined"
    if "# either" in line_text:
        return "either"
    if "# convention" in line_text:
        return "convention"
    return "false" if expect == "refuted" else "true"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/gradproof")
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    files = sorted(f for pat in ("adv_*.grad", "textbook_*.grad", "mutant_*.grad")
                   for f in glob.glob(os.path.join("tests/inputs", pat)))
    verdicts = defaultdict(list)  # (file, line) -> [verdict per seed]
    info = {}
    for f in files:
        name = os.path.basename(f)
        lines = open(f, encoding="utf-8").read().split("\n")
        for seed in range(args.seeds):
            out = subprocess.run([args.bin, "check", "--format", "json", "--seed", str(seed), f],
                                 capture_output=True, text=True).stdout
            obj = json.loads(out) if out.strip() else {"results": [{"kind": "error"}]}
            claims = [r for r in obj["results"] if r.get("kind") == "claim"]
            if not claims and any(r.get("kind") == "error" for r in obj["results"]):
                # the file does not load: count its claims as input errors
                for i, l in enumerate(lines):
                    if l.lstrip().startswith("claim "):
                        exp = "refuted" if "expect refuted" in l.split("#")[0] else "holds"
                        claims.append({"line": i + 1, "expect": exp, "verdict": "error"})
            for r in claims:
                text = lines[r["line"] - 1]
                key = (name, r["line"])
                verdicts[key].append(r["verdict"])
                info[key] = (classify(name, text, r["expect"]), text.strip())
    per = defaultdict(lambda: defaultdict(list))
    totals = defaultdict(lambda: defaultdict(int))
    for key, vs in verdicts.items():
        cls, text = info[key]
        cat = category(key[0])
        totals[cat][cls] += 1
        bad = {
            "false": [v for v in vs if v in ("proved", "checked")],
            "true": [v for v in vs if v in ("refuted", "unknown", "error")],
            "either": [v for v in vs if v == "proved"],
            "convention": [],
            "undefined": [v for v in vs if v != "unknown"],
        }[cls]
        if bad:
            per[cat][cls].append((key, text, vs))
        if len(set(vs)) > 1:
            kind = "seed-dependent-isolated" if cls in ("either", "convention") else "seed-dependent"
            per[cat][kind].append((key, text, vs))
    n_files = len(files)
    print(f"{n_files} files, {len(verdicts)} claims, seeds 0..{args.seeds - 1}")
    grand = defaultdict(int)
    for cat, _ in CATEGORIES:
        t = totals[cat]
        print(f"\n== {cat}: {t['true']} true, {t['false']} false, {t['either']} either, {t['convention']} convention, {t['undefined']} undefined")
        for cls, label in (("false", "false claims proved/checked"), ("true", "true claims refuted/unknown/error"),
                           ("either", "either-claims proved"), ("undefined", "undefined claims not unknown"),
                           ("seed-dependent", "verdict changes with the seed"),
                           ("seed-dependent-isolated", "verdict changes with the seed (either/convention claims; allowed)")):
            items = per[cat][cls]
            grand[cls] += len(items)
            if not items:
                continue
            print(f"  {label}: {len(items)}")
            for (name, line), text, vs in sorted(items):
                counts = defaultdict(int)
                for v in vs:
                    counts[v] += 1
                summary = ", ".join(f"{v} x{c}" for v, c in sorted(counts.items()))
                print(f"    {name}:{line}  [{summary}]  {text}")
    print("\nTOTAL: " + ", ".join(f"{k} {v}" for k, v in grand.items()))
    sums = defaultdict(int)
    for cat in totals:
        for cls, c in totals[cat].items():
            sums[cls] += c
    print("claims: " + ", ".join(f"{k} {v}" for k, v in sums.items()))


main()
