"""What parsing in a worker process costs a request, against parsing in the server process.

    .venv/bin/python bench/lineage_pool.py [--repeat 5] [--calls 300]

The API parses a request's SQL in a warm worker process (lineage.parsing.ParsePool) so that it
can be killed at the total time limit. For a trivial statement (the cost of the round trip to
the worker) and small scripts (one INSERT ... SELECT, ten of them) this prints the median time
per parse in the server process and through the pool, the difference in milliseconds and the
ratio, and how long a fresh worker takes to start (paid once per server process, and after a
worker is killed).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lineage.parsing import ParseLimits, ParsePool  # noqa: E402
from lineage.sql import extract_lineage  # noqa: E402

ONE = (
    "INSERT INTO dw.customer (customer_id, email_hash, tier) "
    "SELECT c.contact_id, MD5(LOWER(c.email)), UPPER(c.tier) FROM crm.contacts c "
    "JOIN crm.tiers t ON t.id = c.tier_id WHERE c.active;"
)
TEN = "\n".join(ONE.replace("dw.customer", f"dw.customer_{i}") for i in range(10))
LIMITS = ParseLimits(10**9, 10**6, 60.0, ("bytes", "statements", "seconds"))


def per_call(fn, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    pool = ParsePool(1)
    started = time.perf_counter()
    pool.run("SELECT 1", "postgres", None, deadline=time.monotonic() + 60, limits=LIMITS)
    cold = time.perf_counter() - started

    print(f"first parse in a fresh worker (start + import): {cold * 1000:.0f} ms")
    print(f"{'script':<14} {'in-process ms':>14} {'pool ms':>9} {'overhead ms':>12} {'ratio':>6}")
    for name, sql in (("empty (IPC)", "SELECT 1"), ("1 statement", ONE), ("10 statements", TEN)):
        here, there = [], []
        for _ in range(args.repeat):
            here.append(
                per_call(lambda s=sql: extract_lineage(s, "postgres").to_dict(), args.calls)
            )
            there.append(
                per_call(
                    lambda s=sql: pool.run(
                        s, "postgres", None, deadline=time.monotonic() + 60, limits=LIMITS
                    ),
                    args.calls,
                )
            )
        a, b = statistics.median(here), statistics.median(there)
        row = f"{a * 1000:>14.2f} {b * 1000:>9.2f} {(b - a) * 1000:>12.2f} {b / a:>6.2f}"
        print(f"{name:<14} {row}")


if __name__ == "__main__":
    main()
