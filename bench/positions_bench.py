"""Time debatekit.positions.draw for 30, 1,000 and 10,000 students per format.

Run from the repository root:  python bench/positions_bench.py
``run()`` returns the rows (one dict per format and class size) so that a
combined bench/run.py can include them.

Each class has random term histories (0-4 times per position), about a third
of the students already held one position on this motion, about 5% are
absent, and a few students (0.2%, at least 2) are locked.  The class is built
once per size; only ``draw`` is timed (``repeat`` runs, best and median).
"""

from __future__ import annotations

import sys, pathlib; sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # noqa: E401,E702

import os
import platform
import random
import statistics
import time

from debatekit.positions import FORMATS, Placement, Student, draw, group_count

SIZES = (30, 1_000, 10_000)
TARGET_MS = 100.0
ROLES = ("senator", "minister", "official", "ngo", "mayor", "resident")
GROUP_SIZE = 4


def positions_for(fmt: str) -> tuple[str, ...]:
    return ROLES if fmt == "roles" else ("pro", "con")


def make_class(fmt: str, n: int, seed: int = 2024):
    """(present students, locked placements) for a class of ``n`` students."""
    rnd = random.Random(seed * 1_000_003 + n)
    keys = positions_for(fmt)
    students = []
    for sid in range(1, n + 1):
        history = {p: rnd.randint(0, 4) for p in keys}
        on_motion = frozenset([rnd.choice(keys)]) if rnd.random() < 0.33 else frozenset()
        students.append(Student(sid, history, on_motion))
    present = [s for s in students if rnd.random() >= 0.05]
    groups = group_count(fmt, len(present), GROUP_SIZE)
    locked = [
        Placement(s.id, rnd.choice(keys), rnd.randint(1, groups), 1)
        for s in rnd.sample(present, max(2, n // 500))
    ]
    return present, locked


def time_draw(fmt: str, n: int, repeat: int = 5) -> dict:
    present, locked = make_class(fmt, n)
    keys = positions_for(fmt)
    times = []
    result = None
    for r in range(repeat):
        t0 = time.perf_counter()
        result = draw(fmt, present, positions=keys, seed=r, group_size=GROUP_SIZE, locked=locked)
        times.append((time.perf_counter() - t0) * 1000.0)
    assert result is not None and len(result) == len({s.id for s in present} | {pl.student_id for pl in locked})
    best, median = min(times), statistics.median(times)
    return {
        "bench": "positions.draw",
        "format": fmt,
        "students": n,
        "present": len(present),
        "locked": len(locked),
        "positions": len(keys),
        "best_ms": round(best, 2),
        "median_ms": round(median, 2),
        "target_ms": TARGET_MS if n == 10_000 else None,
        "pass": (median < TARGET_MS) if n == 10_000 else None,
    }


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "loadavg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def run(sizes=SIZES, repeat: int = 5) -> list[dict]:
    return [time_draw(fmt, n, repeat) for fmt in FORMATS for n in sizes]


def main() -> int:
    info = machine()
    print("debatekit.positions.draw benchmark")
    print(f"python {info['python']} ({info['implementation']}) on {info['platform']}, "
          f"{info['cpu_count']} CPUs, {info['processor']}, load average {info['loadavg_1min']}")
    print(f"best of 5 and median; target: 10,000 students in under {TARGET_MS:.0f} ms (median)\n")
    rows = run()
    header = f"{'format':<13} {'students':>8} {'present':>7} {'locked':>6} {'best ms':>8} {'median ms':>9}  target"
    print(header)
    print("-" * len(header))
    failed = False
    for row in rows:
        verdict = ""
        if row["pass"] is not None:
            verdict = ("PASS" if row["pass"] else "FAIL") + f" (< {TARGET_MS:.0f} ms)"
            failed |= not row["pass"]
        print(f"{row['format']:<13} {row['students']:>8,} {row['present']:>7,} {row['locked']:>6} "
              f"{row['best_ms']:>8.2f} {row['median_ms']:>9.2f}  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
