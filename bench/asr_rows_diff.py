"""Whether two `bench/asr_search.py --out` row files decide alike (an optimisation's equivalence check).

    python bench/asr_rows_diff.py before.jsonl after.jsonl [--tol 1e-6]

Rows are matched by (file, condition, segment) and order of occurrence. Compared: the best sentence (`hypothesis`), the
decision (`accepted_now`), the confidence (within `--tol`), every gate feature (within `--tol`),
the free decoding and the finished alternatives (surface, intent, slots, scores within `--tol`).
Only the CPU time may differ. Prints every difference and exits 1 if there is any.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _load(path: str) -> dict[tuple[str, str, int, int], dict[str, Any]]:
    """Rows by (file, condition, segment, occurrence): a file name can come twice (the noise-only
    items of both languages' folders), in the order the bench writes them."""
    out: dict[tuple[str, str, int, int], dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            n = 0
            while (row["file"], row["condition"], row["segment"], n) in out:
                n += 1
            out[(row["file"], row["condition"], row["segment"], n)] = row
    return out


def _differs(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a != b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) > tol
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) != set(b) or any(_differs(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_differs(x, y, tol) for x, y in zip(a, b))
    return bool(a != b)


COMPARED = ("hypothesis", "accepted_now", "confidence_now", "features", "free", "alternatives", "right")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--tol", type=float, default=1e-6)
    p.add_argument("--common", action="store_true", help="compare only the rows in both files (a run cut short)")
    args = p.parse_args(argv)
    before, after = _load(args.before), _load(args.after)
    if args.common:
        before = {k: v for k, v in before.items() if k in after}
        after = {k: v for k, v in after.items() if k in before}
    problems = 0
    for key in sorted(set(before) | set(after)):
        if key not in before or key not in after:
            print(f"{key}: only in {'after' if key in after else 'before'}")
            problems += 1
            continue
        for field in COMPARED:
            a, b = before[key].get(field), after[key].get(field)
            if _differs(a, b, args.tol):
                problems += 1
                print(f"{key} {field}: {json.dumps(a, ensure_ascii=False)[:300]} -> "
                      f"{json.dumps(b, ensure_ascii=False)[:300]}")
    cpu_b = sorted(r["cpu_s"] for r in before.values())
    cpu_a = sorted(r["cpu_s"] for r in after.values())
    if cpu_b and cpu_a:
        print(f"rows {len(before)} / {len(after)}; CPU p50 {cpu_b[len(cpu_b) // 2] * 1000:.0f} -> "
              f"{cpu_a[len(cpu_a) // 2] * 1000:.0f} ms (as written in the rows)")
    print("identical decisions" if not problems else f"{problems} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
