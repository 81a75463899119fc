"""Load: the consult endpoint with one field and with 100 fields under `--connections` concurrent
clients for `--duration` seconds each, beside the health endpoint of the same server in the same
run, first alone and then while a 100,000-field bulk ingest (20 systems of 100 datasets of 50
fields, one bulk request per system, repeated with new systems until the phase ends) runs
against the same server. The endpoints take turns of a few seconds, so the shared machine's
changing load weighs on each alike. Prints p50/p99, errors and requests/s per endpoint, the
consult/health ratio, and checks that every decision answered is in the decision log.

    .venv/bin/python bench/load.py                         # 16 connections, 30 s per endpoint
    .venv/bin/python bench/load.py --duration 5            # while developing

Runs gunicorn (`--workers`, default 2) on 127.0.0.1:`--port` against a fresh PostgreSQL test
database made from BENCH_POSTGRES_URL (or SQLite with `--database sqlite`). Only loopback
traffic; every loop is bounded by its phase's deadline."""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

PURPOSE = "profile_unification"
INGEST_SYSTEMS, INGEST_DATASETS, INGEST_COLUMNS = 20, 100, 50  # 100,000 fields
MAX_INGEST_PASSES = 10


def request(port: int, method: str, path: str, body=None, headers=None, timeout: float = 120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _client(args) -> dict:
    """One connection's loop: one request at a time until the deadline."""
    port, method, path, body, headers, deadline, fields = args
    latencies, errors, decisions = [], 0, 0
    while time.time() < deadline:
        t0 = time.perf_counter()
        try:
            status, _ = request(port, method, path, body, headers, timeout=30)
        except OSError:
            status = 0
        elapsed = time.perf_counter() - t0
        if status == 200:
            latencies.append(elapsed)
            decisions += fields
        else:
            errors += 1
    return {"latencies": latencies, "errors": errors, "decisions": decisions}


def measure(port, method, path, body, headers, connections, duration, fields=0) -> dict:
    deadline = time.time() + duration
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        parts = pool.map(
            _client, [(port, method, path, body, headers, deadline, fields)] * connections
        )
    return {
        "latencies": [x for p in parts for x in p["latencies"]],
        "errors": sum(p["errors"] for p in parts),
        "decisions": sum(p["decisions"] for p in parts),
        "seconds": duration,
    }


def summary(slices: list[dict]) -> dict:
    latencies = sorted(x for s in slices for x in s["latencies"])
    seconds = sum(s["seconds"] for s in slices)
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": q[49] * 1000 if q else float("nan"),
        "p99_ms": q[98] * 1000 if q else float("nan"),
        "ok": len(latencies),
        "errors": sum(s["errors"] for s in slices),
        "decisions": sum(s["decisions"] for s in slices),
    }


def _ingest(args) -> None:
    """Bulk-register 100,000 fields through the API, pass after pass (new systems each time),
    until the stop file appears or MAX_INGEST_PASSES passes are done."""
    port, token, stop_file, report_file = args
    auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    fields, errors, t0 = 0, 0, time.time()
    for n in range(MAX_INGEST_PASSES):
        for s in range(INGEST_SYSTEMS):
            if os.path.exists(stop_file):
                break
            key = f"ingest{n}x{s}"
            status, _ = request(
                port, "POST", "/api/v1/catalog/systems/",
                json.dumps({"key": key, "name": key}), auth,
            )  # fmt: skip
            payload = {
                "datasets": [
                    {
                        "name": f"sch.t{d}",
                        "fields": [
                            {"name": f"c{c}", "data_type": "text"} for c in range(INGEST_COLUMNS)
                        ],
                    }  # fmt: skip
                    for d in range(INGEST_DATASETS)
                ]
            }
            status, _ = request(
                port, "POST", f"/api/v1/catalog/systems/{key}/bulk/", json.dumps(payload), auth
            )
            if status == 200:
                fields += INGEST_DATASETS * INGEST_COLUMNS
            else:
                errors += 1
        if os.path.exists(stop_file):
            break
    with open(report_file, "w") as out:
        json.dump({"fields": fields, "errors": errors, "seconds": time.time() - t0}, out)


def phase(port, auth, refs, connections, duration, label, slice_s: float = 3.0) -> dict:
    """Each endpoint for `duration` seconds in all, in turns of `slice_s` seconds, so that a
    change in the machine's load (it is shared) weighs on every endpoint alike and the ratios
    to health compare like with like."""

    def body(n):
        return json.dumps({"purpose": PURPOSE, "fields": refs[:n]})

    endpoints = {
        "health": ("GET", "/api/v1/health/", None, {}, 0),
        "consult_1": ("POST", "/api/v1/consult/", body(1), auth, 1),
        "consult_100": ("POST", "/api/v1/consult/", body(100), auth, 100),
    }
    slices: dict[str, list] = {name: [] for name in endpoints}
    turns = max(1, round(duration / slice_s))
    for _ in range(turns):
        for name, (method, path, data, headers, fields) in endpoints.items():
            slices[name].append(
                measure(port, method, path, data, headers, connections, duration / turns, fields)
            )
    return {"label": label, **{name: summary(parts) for name, parts in slices.items()}}


def run(args) -> dict:
    from bench._django import machine, setup
    from bench.consult import add_policies, build_world

    teardown = setup(args.database)
    server = None
    try:
        from django.contrib.auth.models import Group
        from django.db import connection

        from consult.models import DecisionLog
        from core.audit import Actor
        from core.services import issue_token

        world = build_world()
        add_policies(world, args.policies)
        _, token = issue_token(Actor.system("bench"), world["consumer"])
        from django.contrib.auth import get_user_model

        engineer = get_user_model().objects.create_user("bench-engineer")
        engineer.groups.add(Group.objects.get(name="engineer"))
        _, engineer_token = issue_token(Actor.system("bench"), engineer)
        db = connection.settings_dict
        if args.database == "sqlite":
            url = f"sqlite:///{db['NAME']}"
        else:
            url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        log = open(os.path.join(tempfile.gettempdir(), f"load-gunicorn-{args.port}.log"), "w")  # noqa: SIM115
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "TESTING": "1"}
        env.pop("TEST_DATABASE_NAME", None)
        server = subprocess.Popen(
            [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "config.wsgi", "-b",
             f"127.0.0.1:{args.port}", "-w", str(args.workers), "--timeout", "120",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stderr=log,
        )  # fmt: skip
        for _ in range(100):
            try:
                request(args.port, "GET", "/api/v1/health/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        refs = world["refs"]
        # Warm every worker's snapshot before measuring.
        measure(args.port, "GET", "/api/v1/health/", None, {}, 4, 1.0)
        measure(
            args.port, "POST", "/api/v1/consult/",
            json.dumps({"purpose": PURPOSE, "fields": refs[:1]}), auth, 4, 2.0,
        )  # fmt: skip
        logged_before = DecisionLog.objects.count()
        phases = [phase(args.port, auth, refs, args.connections, args.duration, "alone")]

        stop_file = tempfile.mktemp(prefix="load-stop-")
        report_file = tempfile.mktemp(prefix="load-ingest-")
        ingest = multiprocessing.get_context("fork").Process(
            target=_ingest, args=((args.port, engineer_token, stop_file, report_file),)
        )
        ingest.start()
        time.sleep(1.0)  # let the ingest get going
        during = phase(args.port, auth, refs, args.connections, args.duration, "during ingest")
        open(stop_file, "w").close()
        ingest.join(300)
        with open(report_file) as f:
            during["ingest"] = json.load(f)
        os.unlink(stop_file)
        os.unlink(report_file)
        phases.append(during)

        answered = sum(p[k]["decisions"] for p in phases for k in ("consult_1", "consult_100"))
        logged = DecisionLog.objects.count() - logged_before
        result = {
            "machine": machine(),
            "database": args.database,
            "date": time.strftime("%Y-%m-%d"),
            "phases": phases,
            "decisions_answered": answered,
            "decisions_logged": logged,
        }
        print_table(result, args)
        print(json.dumps(result), flush=True)
        return result
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(60)  # a bulk request may still be running
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
            log.close()
        teardown()


def print_table(result: dict, args) -> None:
    print(f"bench/load.py on {result['machine']}, {result['database']}, {result['date']}")
    print(f"gunicorn -w {args.workers}, {args.connections} connections, {args.duration:g} s "
          f"per endpoint, {args.policies:,} policies\n")  # fmt: skip
    print(f"{'phase':<15}{'endpoint':<20}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
          f"{'/ health':>10}")  # fmt: skip
    for p in result["phases"]:
        health = p["health"]["rps"] or float("nan")
        for key, name in (("health", "health"), ("consult_1", "consult 1 field"),
                          ("consult_100", "consult 100 fields")):  # fmt: skip
            m = p[key]
            ratio = "" if key == "health" else f"{m['rps'] / health:.2f}"
            print(f"{p['label']:<15}{name:<20}{m['rps']:>8,.0f}{m['p50_ms']:>9.1f}"
                  f"{m['p99_ms']:>9.1f}{m['errors']:>8}{ratio:>10}")  # fmt: skip
        if "ingest" in p:
            i = p["ingest"]
            rate = i["fields"] / i["seconds"] if i["seconds"] else 0
            print(f"{'':<15}ingest: {i['fields']:,} fields in {i['seconds']:.1f} s "
                  f"({rate:,.0f} fields/s), {i['errors']} failed requests")  # fmt: skip
    lost = result["decisions_answered"] - result["decisions_logged"]
    print(f"\ndecisions answered {result['decisions_answered']:,}, logged "
          f"{result['decisions_logged']:,}, lost {lost}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--policies", type=int, default=5_000)
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8105")))
    args = parser.parse_args()
    run(args)


if __name__ == "__main__":
    main()
