"""Where a one-field consult's time goes, in process, through the whole WSGI application (every
middleware, URL resolution, the view, the rendering) beside GET /api/v1/health/: the two
alternate request by request on one connection, so both meet the same load, and the ratio of
their medians is what bench/consult.py measures through gunicorn minus the server and client.

    .venv/bin/python bench/consult_profile.py --database postgres            # timings
    .venv/bin/python bench/consult_profile.py --database sqlite --profile 25  # + cProfile

The world is bench/consult.py's (10,000 fields, 5,000 policies)."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def wsgi_call(app, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:8000",
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    out = app(environ, lambda s, h, exc_info=None: status.append(s))
    content = b"".join(out)
    if hasattr(out, "close"):
        out.close()
    return status[0], content


def statements(token: str, world: dict, n: int) -> None:
    """Each statement of a one-field consult alone, alternating with SELECT 1 (what health
    sends), median of `n` round trips each; then the planner's and executor's own times."""
    from django.db import connection

    from consult.services import _COLUMNS
    from core.authentication import _TokenQuery
    from core.db import prepared_cursor
    from core.models import hash_token

    query = _TokenQuery.for_connection(connection, "consult.consult_fields")
    token_params = [*query.params, hash_token(token)]
    table = connection.ops.quote_name("consult_decisionlog")
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    from django.utils import timezone

    row = [timezone.now(), world["consumer"].pk, "bench-consumer", "", "p", 1, "r", "a:b.c", 1,
           "allow", '[{"code": "x"}]', "[1]"]  # fmt: skip
    if connection.vendor == "postgresql":
        insert = (
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest(%s::timestamptz[], "
            "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], "
            "%s::text[], %s::bigint[], %s::text[], %s::jsonb[], %s::jsonb[])"
        )
        insert_params = [[v] for v in row]
    else:
        row[0] = connection.ops.adapt_datetimefield_value(row[0])
        insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(row))})"
        insert_params = row
    cases = {
        "SELECT 1": ("SELECT 1", [], False),
        "token + grants query": (query.sql, token_params, False),
        "token + grants query, prepared": (query.sql, token_params, True),
        "log insert (autocommit)": (insert, insert_params, False),
        "log insert (unnest), prepared": (insert, insert_params, True),
    }
    if connection.vendor == "postgresql":
        one_row = (
            f"INSERT INTO {table} ({columns}) VALUES (%s::timestamptz, %s::bigint, %s::text, "
            "%s::text, %s::text, %s::bigint, %s::text, %s::text, %s::bigint, %s::text, "
            "%s::jsonb, %s::jsonb)"
        )
        cases["log insert, one row VALUES, prepared"] = (one_row, row, True)
    times = {name: [] for name in cases}
    with connection.cursor() as plain, prepared_cursor(connection) as prepared:
        for _ in range(n):
            for name, (sql, params, is_prepared) in cases.items():
                cursor = prepared if is_prepared else plain
                t0 = time.perf_counter()
                cursor.execute(sql, params)
                if cursor.description:
                    cursor.fetchall()
                times[name].append(time.perf_counter() - t0)
            if connection.vendor == "postgresql":  # the same insert without the WAL flush
                plain.execute("SET synchronous_commit TO off")
                t0 = time.perf_counter()
                prepared.execute(one_row, row)
                times.setdefault("the same, synchronous_commit off", []).append(
                    time.perf_counter() - t0
                )
                plain.execute("SET synchronous_commit TO on")
        for name, values in times.items():
            print(f"  {name:<40} median {statistics.median(values) * 1000:.3f} ms")
        if connection.vendor == "postgresql":
            for name, (sql, params, _) in list(cases.items())[:3]:
                cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + sql, params)
                lines = [r[0] for r in cursor.fetchall()]
                print(f"  {name}: " + "; ".join(x.strip() for x in lines if "Time" in x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="print the top N of cProfile")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="also time the consult's SQL statements alone, and EXPLAIN them",
    )
    args = parser.parse_args()

    from bench._django import setup

    teardown = setup(args.database)
    try:
        from django.conf import settings

        settings.DEBUG = False
        from bench.consult import PURPOSE, add_policies, build_world
        from core.audit import Actor
        from core.services import issue_token

        world = build_world()
        add_policies(world, 5_000)
        _, token = issue_token(Actor.system("bench"), world["consumer"])
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()
        auth = {"Authorization": f"Token {token}"}
        body = json.dumps({"purpose": PURPOSE, "fields": world["refs"][:1]}).encode()

        def health():
            status, _ = wsgi_call(app, "GET", "/api/v1/health/")
            assert status.startswith("200"), status

        def consult():
            status, content = wsgi_call(app, "POST", "/api/v1/consult/", body, auth)
            assert status.startswith("200"), (status, content)

        for _ in range(200):  # warm: the snapshot, the token query, the URL caches
            health()
            consult()
        times = {"health": [], "consult": []}
        for _ in range(args.requests):
            for name, call in (("health", health), ("consult", consult)):
                t0 = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - t0)
        h, c = statistics.median(times["health"]), statistics.median(times["consult"])
        print(f"{args.database}: median health {h * 1000:.3f} ms, one-field consult "
              f"{c * 1000:.3f} ms, health/consult time {h / c:.2f} "
              f"({args.requests} of each, alternating)")  # fmt: skip
        if args.statements:
            statements(token, world, args.requests)
        if args.profile:
            for name, call in (("health", health), ("consult", consult)):
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(args.requests):
                    call()
                profiler.disable()
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(args.sort).print_stats(args.profile)
                print(f"\n--- {name}, {args.requests} requests, by {args.sort} ---")
                print(out.getvalue())
    finally:
        teardown()


if __name__ == "__main__":
    main()
