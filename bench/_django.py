"""Set up Django for a benchmark on a fresh, throw-away database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


# One folder per benchmark process: two benchmarks running at once must not share a file.
_TMP = tempfile.mkdtemp(prefix="bench-catalog-")


def database_url(kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{_TMP}/catalog.sqlite3"
    if kind == "postgres":
        return POSTGRES_URL
    raise SystemExit(f"unknown database kind {kind!r}")


def setup(kind: str):
    """Point Django at `kind`, create a fresh test database with all migrations, return a
    teardown function."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url(kind)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django
    from django.conf import settings

    if kind == "sqlite":
        path = f"{_TMP}/test.sqlite3"
        settings.DATABASES["default"]["TEST"] = {"NAME": path}
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )

    def teardown():
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return teardown


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def median(values):
    return statistics.median(values) if values else float("nan")


def run_child(script: str, kind: str, options: dict) -> dict | None:
    """Run `script --child --database KIND --option value ...` in a fresh process (Django is
    configured once per process, so each database gets its own) and return the JSON it prints
    last; print the error and return None when it fails."""
    import json
    import subprocess

    argv = [sys.executable, script, "--child", "--database", kind]
    for name, value in options.items():
        argv += [f"--{name}", str(value)]
    out = subprocess.run(argv, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"{kind:<10} failed:\n{out.stderr[-2000:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])
