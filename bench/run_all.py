"""Run every benchmark in bench/ one after another (what `make bench` does)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["ingest.py", "lineage_parse.py", "lineage_pool.py", "lineage_graph.py", "consult.py"]


def main() -> int:
    failed = 0
    for name in ORDER:
        path = HERE / name
        if not path.exists():
            continue
        print(f"\n=== {name}", flush=True)
        failed |= subprocess.call([sys.executable, str(path), *sys.argv[1:]]) != 0
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
