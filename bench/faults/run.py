"""Fault suite: a real gunicorn on a fresh PostgreSQL database, hit by the faults production
meets, and a count of what each one lost. Every number in the "lost" column must be zero.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/db_x .venv/bin/python bench/faults/run.py

- kill -9 of the workers during bulk upserts: each system's rows are all there or none are (and
  its audit records match), and the retried upsert completes it;
- kill -9 of the workers during consults: every decision a client received is in the decision
  log;
- pg_terminate_backend of the server's connections during writes: nothing half-written, and
  the next request on every worker succeeds;
- 50 simultaneous votes on one review: each counted once, one decision;
- simultaneous duplicate creates: one 201, the rest 409 `conflict` in the error shape, one
  row.

Only loopback traffic (127.0.0.1:`--port`), and every loop is bounded in count and time. It
terminates only the backends of its own test database and kills only the workers of the
gunicorn it started."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)

PURPOSE = "profile_unification"


def request(port, method, path, body=None, token=None, timeout=60.0):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw[:200]
    except (OSError, http.client.HTTPException):
        return 0, None  # the connection died with the worker
    finally:
        conn.close()


class Server:
    """gunicorn on 127.0.0.1:port; its workers can be killed outright."""

    def __init__(self, url: str, port: int, workers: int):
        self.port = port
        self.log = open(os.path.join(tempfile.gettempdir(), f"faults-gunicorn-{port}.log"), "w")  # noqa: SIM115
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "TESTING": "1"}
        env.pop("TEST_DATABASE_NAME", None)
        self.process = subprocess.Popen(
            [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "config.wsgi", "-b",
             f"127.0.0.1:{port}", "-w", str(workers), "--timeout", "120", "--log-level",
             "warning"],
            cwd=ROOT, env=env, stderr=self.log,
        )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if request(self.port, "GET", "/api/v1/health/", timeout=2)[0] == 200:
                return
            time.sleep(0.2)
        raise SystemExit("gunicorn did not come up")

    def workers(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True
        )
        return [int(p) for p in out.stdout.split()]

    def kill_workers(self) -> int:
        pids = self.workers()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return len(pids)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


def run_threads(target, count: int, seconds: float) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds)


# The scenarios -------------------------------------------------------------------------------


def bulk_payload(n_datasets: int, n_fields: int) -> dict:
    return {
        "datasets": [
            {"name": f"sch.t{d}", "fields": [{"name": f"c{c}"} for c in range(n_fields)]}
            for d in range(n_datasets)
        ]
    }


def system_state(key: str) -> tuple[int, int, int]:
    """(datasets, fields, fields whose audit is found) of a system: a field's own record or,
    from a bulk request, its link to its dataset's record."""
    from catalog.models import Dataset, Field
    from core.models import ChangeLink, ChangeRecord

    fields = Field.objects.filter(dataset__system__key=key)
    ids = [str(pk) for pk in fields.values_list("pk", flat=True)]
    audited = set()
    for model in (ChangeRecord, ChangeLink):
        audited |= set(
            model.objects.filter(object_type="catalog.field", object_id__in=ids).values_list(
                "object_id", flat=True
            )
        )
    return Dataset.objects.filter(system__key=key).count(), fields.count(), len(audited)


def kill_during_bulk(server: Server, token: str, rounds: int) -> dict:
    n_datasets, n_fields = 100, 50
    full = (n_datasets, n_datasets * n_fields, n_datasets * n_fields)
    half_written = killed_mid_request = retried_incomplete = 0
    for r in range(rounds):
        key = f"killbulk{r}"
        request(server.port, "POST", "/api/v1/catalog/systems/", {"key": key, "name": key}, token)
        result = {}

        def upsert(_, key=key, result=result):
            result["status"] = request(
                server.port, "POST", f"/api/v1/catalog/systems/{key}/bulk/",
                bulk_payload(n_datasets, n_fields), token, timeout=120,
            )[0]  # fmt: skip

        thread = threading.Thread(target=upsert, args=(0,))
        thread.start()
        time.sleep(random.uniform(0.1, 0.8))
        server.kill_workers()
        thread.join(150)
        if result.get("status") != 200:
            killed_mid_request += 1
        state = system_state(key)
        if state not in ((0, 0, 0), full):
            half_written += 1
            print(f"    half-written {key}: {state}")
        server.wait_ready()
        status, _ = request(
            server.port, "POST", f"/api/v1/catalog/systems/{key}/bulk/",
            bulk_payload(n_datasets, n_fields), token, timeout=120,
        )  # fmt: skip
        if status != 200 or system_state(key) != full:
            retried_incomplete += 1
    return {
        "tried": f"{rounds} bulk upserts of 5,000 fields, workers killed -9 at 0.1-0.8 s "
        f"({killed_mid_request} requests died mid-way)",
        "lost": half_written + retried_incomplete,
        "detail": f"half-written {half_written}, retry not complete {retried_incomplete}",
    }


def kill_during_consults(server: Server, token: str, refs: list[str], seconds: float) -> dict:
    from consult.models import DecisionLog

    before = DecisionLog.objects.count()
    received = [0] * 8
    failed = [0] * 8
    deadline = time.time() + seconds

    def consult(i):
        fields = refs[i * 10 : i * 10 + 10]
        while time.time() < deadline:
            status, body = request(
                server.port, "POST", "/api/v1/consult/", {"purpose": PURPOSE, "fields": fields},
                token, timeout=30,
            )  # fmt: skip
            if status == 200:
                received[i] += len(body["decisions"])
            else:
                failed[i] += 1
                time.sleep(0.05)

    kills = 0

    def killer(_):
        nonlocal kills
        while time.time() < deadline - 1:
            time.sleep(random.uniform(0.5, 1.5))
            server.kill_workers()
            kills += 1

    threads = [threading.Thread(target=consult, args=(i,)) for i in range(8)]
    threads.append(threading.Thread(target=killer, args=(0,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    server.wait_ready()
    logged = DecisionLog.objects.count() - before
    got = sum(received)
    return {
        "tried": f"8 clients consulting 10 fields for {seconds:g} s, workers killed -9 {kills} "
        f"times ({sum(failed)} requests died with them)",
        "lost": max(0, got - logged),
        "detail": f"decisions received {got:,}, logged {logged:,} "
        f"({logged - got} logged whose response died with the worker)",
    }


def terminate_backends(dbname: str) -> int:
    """pg_terminate_backend on every connection to our own test database but this one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        )
        return cursor.fetchone()[0]


def terminate_during_writes(server: Server, token: str, dbname: str, seconds: float) -> dict:
    statuses: list[tuple[str, int]] = []
    deadline = time.time() + seconds
    n_datasets, n_fields = 20, 25

    def writer(i):
        n = 0
        while time.time() < deadline and n < 200:
            key = f"term{i}x{n}"
            n += 1
            s1 = request(server.port, "POST", "/api/v1/catalog/systems/",
                         {"key": key, "name": key}, token)[0]  # fmt: skip
            s2 = request(server.port, "POST", f"/api/v1/catalog/systems/{key}/bulk/",
                         bulk_payload(n_datasets, n_fields), token)[0]  # fmt: skip
            statuses.append((key, s1, s2))

    terminated = 0

    def killer(_):
        nonlocal terminated
        from django.db import connection

        try:
            while time.time() < deadline:
                time.sleep(random.uniform(0.2, 0.6))
                terminated += terminate_backends(dbname)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    threads.append(threading.Thread(target=killer, args=(0,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 120)
    from django.db import connection

    connection.close()  # this thread's connection may have been among those terminated
    full = (n_datasets, n_datasets * n_fields, n_datasets * n_fields)
    half = [k for k, _, _ in statuses if system_state(k) not in ((0, 0, 0), full)]
    acknowledged_missing = [k for k, _, s2 in statuses if s2 == 200 and system_state(k) != full]
    errors_503 = sum(1 for _, s1, s2 in statuses for s in (s1, s2) if s == 503)
    errors_5xx = sum(1 for _, s1, s2 in statuses for s in (s1, s2) if s >= 500 or s == 0)
    # Recovery: drop every connection once more; the next request on each worker must succeed.
    terminate_backends(dbname)
    connection.close()
    recovery = [request(server.port, "GET", "/api/v1/catalog/systems/?limit=1", None, token)[0]
                for _ in range(10)]  # fmt: skip
    not_recovered = sum(1 for s in recovery if s != 200)
    return {
        "tried": f"4 writers ({len(statuses)} create+bulk pairs) for {seconds:g} s, "
        f"{terminated} backends terminated ({errors_5xx} requests answered 5xx, {errors_503} "
        "of them 503: connection lost twice in one request)",
        "lost": len(half) + len(acknowledged_missing) + not_recovered,
        "detail": f"half-written {len(half)}, acknowledged but missing "
        f"{len(acknowledged_missing)}, first requests after a drop failing {not_recovered}/10",
    }


def concurrent_votes(server: Server, voters: list[tuple], review_id: int) -> dict:
    from governance.models import Review, StatusChange, Vote

    barrier = threading.Barrier(len(voters))
    codes: list[int] = []

    def vote(i):
        barrier.wait()
        codes.append(request(server.port, "POST", f"/api/v1/governance/reviews/{review_id}/vote/",
                             {"choice": "approve"}, voters[i][1])[0])  # fmt: skip

    run_threads(vote, len(voters), 120)
    ok = codes.count(200)
    votes = Vote.objects.filter(review_id=review_id).count()
    decisions = StatusChange.objects.filter(transition="approve").count()
    review = Review.objects.get(pk=review_id)
    bad = sum(1 for c in codes if c not in (200, 409))
    lost = abs(votes - ok) + abs(decisions - 1) + bad + (review.status != "approved")
    return {
        "tried": f"{len(voters)} members voting approve at once (quorum 25)",
        "lost": lost,
        "detail": f"200: {ok}, 409: {codes.count(409)}, other: {bad}; votes stored {votes}, "
        f"decisions {decisions}, review {review.status}",
    }


def duplicate_creates(server: Server, tokens: list[str], rounds: int) -> dict:
    from catalog.models import SourceSystem

    wrong = 0
    tally: dict[int, int] = {}
    for r in range(rounds):
        key = f"dup{r}"
        barrier = threading.Barrier(len(tokens))
        codes: list[tuple] = []

        def create(i, key=key, barrier=barrier, codes=codes):
            barrier.wait()
            codes.append(request(server.port, "POST", "/api/v1/catalog/systems/",
                                 {"key": key, "name": key}, tokens[i]))  # fmt: skip

        run_threads(create, len(tokens), 60)
        for c, _ in codes:
            tally[c] = tally.get(c, 0) + 1
        losers = [body for c, body in codes if c != 201]
        if (
            [c for c, _ in codes].count(201) != 1
            or len(codes) != len(tokens)
            or any(not isinstance(b, dict) or (b.get("status"), b.get("code")) != (409, "conflict")
                   for b in losers)
            or SourceSystem.objects.filter(key=key).count() != 1
        ):  # fmt: skip
            wrong += 1
    return {
        "tried": f"{rounds} rounds of {len(tokens)} simultaneous creates of one system key",
        "lost": wrong,
        "detail": "answers " + ", ".join(f"{c}: {n}" for c, n in sorted(tally.items())),
    }


# Driver --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8105")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    from bench._django import setup

    teardown = setup("postgres")
    server = None
    total = None
    try:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db import connection

        from core.audit import Actor
        from core.services import issue_token
        from governance import services as governance
        from governance.workflow import reviews_of

        User = get_user_model()

        def user_with_token(name, role):
            user = User.objects.create_user(name)
            user.groups.add(Group.objects.get(name=role))
            return user, issue_token(Actor.system("faults"), user)[1]

        engineers = [user_with_token(f"eng{i}", "engineer") for i in range(8)]
        _, consumer_token = user_with_token("cdp", "consumer")
        members = [user_with_token(f"member{i}", "committee") for i in range(50)]
        author, _ = user_with_token("author", "steward")
        governance.save_committee(
            Actor.system("faults"), None,
            {"name": "Board", "domains": ["order"], "min_approvals": 25},
            [(m, "member") for m, _ in members],
        )  # fmt: skip
        definition = governance.create_definition(Actor(author), {
            "key": "order_amount_gross", "domain": "order", "name": "Order amount, gross",
            "description": "Charged amount, VAT included, before discounts.",
            "data_type": "decimal(12,2)", "currency": "TWD", "tax": "included",
            "discount": "before", "grain": "order",
        })  # fmt: skip
        governance.definition_transition(Actor(author), definition, "submit")
        review = reviews_of(definition.pending_version).get(status="open")
        refs = [f"sys:sch.t.c{i}" for i in range(80)]

        db = connection.settings_dict
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        server = Server(url, args.port, args.workers)
        token = engineers[0][1]
        results = []
        for name, run in (
            ("kill -9 during bulk upserts", lambda: kill_during_bulk(server, token, args.rounds)),
            ("kill -9 during consults",
             lambda: kill_during_consults(server, consumer_token, refs, args.seconds)),
            ("pg_terminate_backend during writes",
             lambda: terminate_during_writes(server, token, db["NAME"], args.seconds)),
            ("50 simultaneous votes", lambda: concurrent_votes(server, members, review.pk)),
            ("simultaneous duplicate creates",
             lambda: duplicate_creates(server, [t for _, t in engineers], args.rounds * 2)),
        ):  # fmt: skip
            print(f"- {name} ...", flush=True)
            t0 = time.time()
            result = run()
            result["name"], result["seconds"] = name, time.time() - t0
            print(f"    tried: {result['tried']}\n    {result['detail']}\n"
                  f"    lost: {result['lost']}", flush=True)  # fmt: skip
            results.append(result)
        print(f"\n{'fault':<38}{'lost':>6}")
        for r in results:
            print(f"{r['name']:<38}{r['lost']:>6}")
        total = sum(r["lost"] for r in results)
        print(f"{'total':<38}{total:>6}")
    finally:
        if server is not None:
            server.stop()
        connection.close()
        teardown()
    sys.exit(0 if total == 0 else 1)


if __name__ == "__main__":
    main()
