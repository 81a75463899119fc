"""Consult speed: in-process decisions per second from the snapshot with 50 and 5,000 policies;
HTTP through gunicorn on SQLite and PostgreSQL (one-field consults, 100- and 1,000-field
batches) beside the same server's /api/v1/health/ under the same load (health and one-field
consults alternate in turns of about a second); and the time from a policy change to the
decision that reflects it. With cedarpy installed (requirements-bench.txt), Cedar decides the
same questions in process as an outside reference (see print_cedar for what the translation of
our policies covers).

    .venv/bin/python bench/consult.py                   # SQLite and PostgreSQL
    .venv/bin/python bench/consult.py --database sqlite --duration 3

The load generator is bounded: `--clients` processes on this machine, each sending one request
at a time to 127.0.0.1 for `--duration` seconds. Targets (issue 5): >= 200,000 decisions/s,
5,000-policy median <= 2x the 50-policy one; one-field consult >= 0.5 of health's requests/s;
1,000-field batch p50 <= 50 ms; a policy change shows on the next request."""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SYSTEMS, DATASETS, COLUMNS = 10, 10, 100  # 10,000 fields
PURPOSE = "profile_unification"


# The world ---------------------------------------------------------------------------------


def build_world() -> dict:
    """10,000 fields with approved definitions, 1,000 of them derived by lineage (a third of
    those through masking), a tenth labelled pii.direct, and one consumer."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from catalog.models import Dataset, Field, SourceSystem
    from consult.models import Classification, DefinitionClassification
    from governance.models import DefinitionVersion, FieldDefinition, FieldMapping
    from lineage.models import EtlJob, EtlJobVersion, LineageEdge

    User = get_user_model()
    consumer = User.objects.create_user("bench-consumer")
    consumer.groups.add(Group.objects.get(name="consumer"))
    others = User.objects.bulk_create(User(username=f"other-{i}") for i in range(100))
    systems = SourceSystem.objects.bulk_create(
        SourceSystem(key=f"sys{s}", name=f"System {s}") for s in range(SYSTEMS)
    )
    datasets = Dataset.objects.bulk_create(
        Dataset(system=system, name=f"schema.table{d}") for system in systems
        for d in range(DATASETS)
    )  # fmt: skip
    Field.objects.bulk_create(
        Field(dataset=dataset, name=f"col{c}", ordinal=c) for dataset in datasets
        for c in range(COLUMNS)
    )  # fmt: skip
    fields = list(Field.objects.select_related("dataset__system").order_by("id"))
    definitions = FieldDefinition.objects.bulk_create(
        FieldDefinition(key=f"def_{c}", domain="customer") for c in range(COLUMNS)
    )
    DefinitionVersion.objects.bulk_create(
        DefinitionVersion(definition=d, number=1, status="approved", name=d.key,
                          description=d.key, tax="included")
        for d in definitions
    )  # fmt: skip
    FieldMapping.objects.bulk_create(
        FieldMapping(field=f, definition=definitions[f.ordinal], status="approved") for f in fields
    )
    pii = Classification.objects.get(key="pii.direct")
    DefinitionClassification.objects.bulk_create(
        DefinitionClassification(definition_key=f"def_{c}", classification=pii)
        for c in range(0, COLUMNS, 10)
    )
    job = EtlJob.objects.create(key="bench_job", name="bench", system=systems[0])
    version = EtlJobVersion.objects.create(
        job=job, number=1, origin="sql", status="ok", submitted_by_name="bench"
    )
    half = len(fields) // 2
    LineageEdge.objects.bulk_create(
        LineageEdge(source=fields[i], target=fields[half + i], type="DIRECT",
                    subtype="IDENTITY", masking=i % 3 == 0, job=job, job_version=version)
        for i in range(0, half, 5)
    )  # fmt: skip
    return {"consumer": consumer, "others": others, "refs": [f.ref for f in fields]}


def add_policies(world: dict, count: int, start: int = 0) -> None:
    """`count` approved policies: first an allow per system for the consumer, then field
    policies, a tenth of them the consumer's (allow, deny, or allow with aggregate_only)."""
    from consult.changes import everything_changed
    from consult.models import AccessPolicy

    consumer, others, refs = world["consumer"], world["others"], world["refs"]
    rows = []
    for i in range(start, start + count):
        if i < SYSTEMS:
            kind, key, effect, subject = "system", f"sys{i}", "allow", consumer
        else:
            kind, key = "field", refs[(i * 7919) % len(refs)]
            effect = "deny" if i % 4 == 1 else "allow"
            subject = consumer if i % 10 == 1 else others[i % len(others)]
        rows.append(
            AccessPolicy(
                name=f"p{i}", consumer=subject, purposes=[PURPOSE] if i % 2 else ["*"],
                resource_kind=kind, resource_key=key, effect=effect,
                obligations=[{"type": "aggregate_only"}] if i % 4 == 3 else [],
                justification="bench", status="approved",
            )
        )  # fmt: skip
    AccessPolicy.objects.bulk_create(rows)
    # Raw inserts write no audit record: tell every process that everything changed.
    everything_changed()


# In-process --------------------------------------------------------------------------------


def in_process(rounds: int) -> dict:
    from bench._django import setup

    teardown = setup("sqlite")
    try:
        from consult.services import subjects_of
        from consult.snapshot import get_snapshot
        from core.process import settle

        settle()  # as a gunicorn worker does (config/wsgi.py)

        out = {}
        world = build_world()
        for policies in (50, 5_000):
            add_policies(world, policies - len(out) * 50, len(out) * 50)
            refs = world["refs"]
            t0 = time.perf_counter()
            snap = get_snapshot()
            snap.prefetch(refs)  # the fields' entries, as a process computes them on first use
            compile_s = time.perf_counter() - t0
            subjects = subjects_of(world["consumer"])
            now = time.time()
            cold, warm = [], []
            for _ in range(rounds):
                snap._memo.clear()
                t0 = time.perf_counter()
                for ref in refs:
                    snap.evaluate(subjects, PURPOSE, ref, now)
                cold.append(len(refs) / (time.perf_counter() - t0))
                for ref in refs:
                    snap.decide(subjects, PURPOSE, ref, now)
                t0 = time.perf_counter()
                for ref in refs:
                    snap.decide(subjects, PURPOSE, ref, now)
                warm.append(len(refs) / (time.perf_counter() - t0))
            out[policies] = {
                "compile_s": compile_s,
                "cold_per_s": statistics.median(cold),
                "warm_per_s": statistics.median(warm),
                "decisions": {d: 0 for d in ("allow", "allow_with_obligations", "deny")},
            }
            ours = {ref: snap.decide(subjects, PURPOSE, ref, now)[0]["decision"] for ref in refs}
            for decision in ours.values():
                out[policies]["decisions"][decision] += 1
            try:
                import cedarpy  # noqa: F401
            except ImportError:
                continue
            out[policies]["cedar"] = cedar_bench(snap, refs, world["consumer"], now, rounds, ours)
        return out
    finally:
        teardown()


# Cedar, an outside reference -----------------------------------------------------------------

CEDAR_MISSING = "cedarpy not installed: pip install -r requirements-bench.txt"
CEDAR_EVERY = 20  # Cedar decides every 20th field (500 of 10,000)
# Our levels, most specific first (consult/policy.py SPECIFICITY), and the Cedar entity type a
# policy at each level names.
CEDAR_LEVELS = [("field", "Field"), ("definition", "Definition"),
                ("classification", "Classification"), ("dataset", "Dataset"),
                ("system", "System")]  # fmt: skip


def cedar_quote(text: str) -> str:
    return json.dumps(text)  # a Cedar string literal is a JSON one for these ids


def cedar_policy(p) -> str:
    """One approved AccessPolicy as a Cedar permit or forbid."""
    principal = (f"principal == User::{cedar_quote(f'u:{p.consumer_id}')}" if p.consumer_id
                 else f"principal in Group::{cedar_quote(f'g:{p.group_id}')}")  # fmt: skip
    entity = dict(CEDAR_LEVELS)[p.resource_kind]
    resource = f"resource in {entity}::{cedar_quote(p.resource_key)}"
    conditions = []
    if "*" not in p.purposes:
        conditions.append(f"{json.dumps(sorted(p.purposes))}.contains(context.purpose)")
    if p.valid_from:
        conditions.append(f"context.now >= {int(p.valid_from.timestamp())}")
    if p.valid_until:
        conditions.append(f"context.now < {int(p.valid_until.timestamp())}")
    when = f" when {{ {' && '.join(conditions)} }}" if conditions else ""
    effect = "forbid" if p.effect == "deny" else "permit"
    return f'{effect}({principal}, action == Action::"consult", {resource}){when};'


def cedar_entities(snap, refs, user) -> list[dict]:
    """The catalog as Cedar entities: a field in its dataset (in its system), its definition and
    its classifications (lineage-propagated ones included, as the snapshot computed them); the
    consumer in its groups."""

    def uid(kind, key):
        return {"type": kind, "id": key}

    out, seen = [], set()

    def add(kind, key, parents=()):
        if (kind, key) not in seen:
            seen.add((kind, key))
            out.append({"uid": uid(kind, key), "attrs": {}, "parents": list(parents)})

    for ref in refs:
        entry = snap.entry(ref)
        resources = dict(entry.resources)
        parents = [uid("Dataset", resources["dataset"])]
        if "definition" in resources:
            parents.append(uid("Definition", resources["definition"]))
            add("Definition", resources["definition"])
        for label in entry.labels:
            parents.append(uid("Classification", label))
            add("Classification", label)
        add("Field", entry.ref, parents)
        add("Dataset", resources["dataset"], [uid("System", resources["system"])])
        add("System", resources["system"])
    groups = [f"g:{g}" for g in user.groups.values_list("pk", flat=True)]
    for group in groups:
        add("Group", group)
    add("User", f"u:{user.pk}", [uid("Group", g) for g in groups])
    return out


def cedar_bench(snap, refs, user, now: float, rounds: int, ours: dict) -> dict:
    """Decisions per second of Cedar (cedarpy) for the same consumer, purpose and fields:
    by level (our precedence: one policy set per level, asked from the most specific down until
    one has an applicable policy) and in one call (Cedar's own rule: any forbid wins)."""
    import cedarpy

    from consult.models import AccessPolicy

    moment = int(now)
    policies = list(AccessPolicy.objects.filter(status="approved").order_by("pk"))
    levels = [
        cedarpy.PolicySet.from_str(
            "\n".join(cedar_policy(p) for p in policies if p.resource_kind == kind)
            or 'forbid(principal, action, resource) when { false };'
        )
        for kind, _ in CEDAR_LEVELS
    ]  # fmt: skip
    flat = cedarpy.PolicySet.from_str("\n".join(cedar_policy(p) for p in policies))
    entities = cedarpy.Entities.from_json_str(json.dumps(cedar_entities(snap, refs, user)))
    principal = {"type": "User", "id": f"u:{user.pk}"}
    context = {"purpose": PURPOSE, "now": moment}

    def request(ref):
        return {"principal": principal, "action": {"type": "Action", "id": "consult"},
                "resource": {"type": "Field", "id": ref}, "context": context}  # fmt: skip

    def by_level(refs):
        decided, pending = {}, list(refs)
        for level in levels:
            if not pending:
                break
            results = cedarpy.is_authorized_batch([request(r) for r in pending], level, entities)
            undecided = []
            for ref, result in zip(pending, results, strict=True):
                if result.allowed:
                    decided[ref] = "allow"
                elif result.diagnostics.reasons:
                    decided[ref] = "deny"
                else:
                    undecided.append(ref)
            pending = undecided
        decided.update(dict.fromkeys(pending, "deny"))  # no applicable policy: deny by default
        return decided

    def one_call(refs):
        results = cedarpy.is_authorized_batch([request(r) for r in refs], flat, entities)
        return {ref: "allow" if r.allowed else "deny" for ref, r in zip(refs, results, strict=True)}

    # Cedar evaluates every policy of the set for every request (no index), so at 5,000
    # policies a decision takes milliseconds: a sample of the fields (every CEDAR_EVERY-th, all
    # systems) and at most three rounds keep the run in minutes.
    sample = refs[::CEDAR_EVERY]
    out = {"policies": len(policies), "fields": len(sample)}
    for name, run in (("by_level", by_level), ("one_call", one_call)):
        speeds = []
        for _ in range(min(rounds, 3)):
            t0 = time.perf_counter()
            decided = run(sample)
            speeds.append(len(sample) / (time.perf_counter() - t0))
        agree = sum(decided[r] == ("deny" if ours[r] == "deny" else "allow") for r in sample)
        out[name] = {"per_s": statistics.median(speeds), "agree": agree}
    return out


# Over HTTP ---------------------------------------------------------------------------------


def _client(args) -> list[float]:
    port, method, path, body, headers, deadline = args
    latencies = []
    while time.time() < deadline:
        t0 = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        latencies.append(time.perf_counter() - t0)
    return latencies


def load(port, method, path, body, headers, clients: int, duration: float) -> dict:
    deadline = time.time() + duration
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(_client, [(port, method, path, body, headers, deadline)] * clients)
    return summary(sorted(x for r in results for x in r), duration)


def summary(latencies: list[float], duration: float) -> dict:
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"rps": len(latencies) / duration, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
            "n": len(latencies), "latencies": latencies}  # fmt: skip


def merged(turns: list[dict], duration: float) -> dict:
    """The turns of one endpoint as one measurement of `duration` seconds."""
    return summary(sorted(x for t in turns for x in t["latencies"]), duration)


def free_port() -> int:
    if os.environ.get("BENCH_PORT"):  # a port of one's own on a shared machine
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_bench(kind: str, clients: int, duration: float, workers: int, threads: int = 1) -> dict:
    from bench._django import setup

    teardown = setup(kind)
    server = None
    try:
        from django.contrib.auth import get_user_model
        from django.db import connection

        from consult import services
        from consult.models import AccessPolicy
        from core.audit import Actor
        from core.services import issue_token

        world = build_world()
        add_policies(world, 5_000)
        _, token = issue_token(Actor.system("bench"), world["consumer"])
        db = connection.settings_dict
        if kind == "sqlite":
            url = f"sqlite:///{db['NAME']}"
        else:
            url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        port = free_port()
        log = open(os.path.join(tempfile.gettempdir(), "bench-gunicorn.log"), "w")  # noqa: SIM115
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "TESTING": "1"}
        env.pop("TEST_DATABASE_NAME", None)
        server = subprocess.Popen(
            [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "config.wsgi", "-b",
             f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning",
             *(["-k", "gthread", "--threads", str(threads)] if threads > 1 else [])],
            cwd=ROOT, env=env, stderr=log,
        )  # fmt: skip
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.1)
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        refs = world["refs"]

        def consult_body(n):
            return json.dumps({"purpose": PURPOSE, "fields": refs[:n]})

        # Warm every worker's cached fields before measuring.
        load(port, "POST", "/api/v1/consult/", consult_body(1000), auth, clients, 2.0)
        # Health and one-field consults in alternating turns of about a second, so that both
        # meet the same load on a shared machine: their ratio is the figure that counts.
        health_turns, consult_turns = [], []
        turns = max(1, round(duration))
        for _ in range(turns):
            health_turns.append(
                load(port, "GET", "/api/v1/health/", None, {}, clients, duration / turns)
            )
            consult_turns.append(
                load(port, "POST", "/api/v1/consult/", consult_body(1), auth, clients,
                     duration / turns)
            )  # fmt: skip
        out = {
            "health": merged(health_turns, duration),
            "consult_1": merged(consult_turns, duration),
            "consult_100": load(port, "POST", "/api/v1/consult/", consult_body(100), auth,
                                clients, duration),
            "consult_1000": load(port, "POST", "/api/v1/consult/", consult_body(1000), auth, 1,
                                 duration),
        }  # fmt: skip

        # A revoked policy: the very next request must deny.
        def decide_once():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/consult/", consult_body(1), auth)
            body = json.loads(conn.getresponse().read())
            return body["decisions"][0]["decision"], time.perf_counter() - t0

        before, _ = decide_once()
        policy = AccessPolicy.objects.get(resource_key="sys0")
        admin = get_user_model().objects.create_superuser("bench-admin", "b@example.com", "x")
        t0 = time.perf_counter()
        services.transition_policy(Actor(admin, reason="bench"), policy, "revoke")
        write_s = time.perf_counter() - t0
        after, first_s = decide_once()
        _, second_s = decide_once()
        for row in out.values():
            row.pop("latencies", None)
        out["revocation"] = {"before": before, "after": after, "write_ms": write_s * 1000,
                             "first_request_ms": first_s * 1000,
                             "steady_request_ms": second_s * 1000}  # fmt: skip
        return out
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
            log.close()
        teardown()


# Driver ------------------------------------------------------------------------------------


def child(args) -> dict:
    if args.part == "inprocess":
        return in_process(args.rounds)
    return http_bench(args.part, args.clients, args.duration, args.workers, args.threads)


def run_child(part: str, args) -> dict | None:
    cmd = [sys.executable, __file__, "--child", part]
    for name in ("rounds", "clients", "duration", "workers", "threads"):
        cmd += [f"--{name}", str(getattr(args, name))]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"{part} failed:\n{out.stderr[-3000:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_cedar(r: dict) -> None:
    print(
        "\nCedar (cedarpy), same consumer, purpose and policies, every "
        f"{CEDAR_EVERY}th field, median of up to 3 rounds (ours: all fields, as above):"
    )
    if not all("cedar" in row for row in r.values()):
        print(CEDAR_MISSING)
        return
    print(f"{'policies':>9} {'ours (evaluate)':>16} {'Cedar by level':>15} {'ours/Cedar':>11}"
          f" {'agree':>7} {'Cedar 1 call':>13} {'agree':>7}")  # fmt: skip
    for policies, row in r.items():
        level, flat = row["cedar"]["by_level"], row["cedar"]["one_call"]
        print(f"{int(policies):>9,} {row['cold_per_s']:>16,.0f} {level['per_s']:>15,.0f}"
              f" {row['cold_per_s'] / level['per_s']:>10.1f}x {level['agree']:>7,}"
              f" {flat['per_s']:>13,.0f} {flat['agree']:>7,}"
              f"   of {row['cedar']['fields']:,}")  # fmt: skip
    print("Translated: each approved policy as a permit/forbid on its consumer (User) or group\n"
          "(Group), its resource (Field, or a field `in` its Definition, Classification, Dataset,\n"
          "System), its purposes and validity window (in `when`); the catalog as entities (a\n"
          "field's dataset in its system, its definition, its classifications as the snapshot\n"
          "computed them, lineage-propagated ones included). Our precedence (the most specific\n"
          "level with an applicable policy decides, a deny beating an allow there) as one policy\n"
          "set per level asked from the most specific down; 'Cedar 1 call' is one policy set\n"
          "under Cedar's own rule (any forbid wins), which differs from ours only where a more\n"
          "specific allow meets a broader deny. Not translated: obligations (an allow with\n"
          "obligations counts as an allow), what denies whatever the policies say (no approved\n"
          "definition, unregistered field, untrusted upstream), aggregation that de-identifies,\n"
          "the reasons. 'agree': Cedar's allow/deny equal to ours.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--duration", type=float, default=5.0)
    # Threads per worker (gunicorn's gthread worker): a request waiting on the database (the
    # decision log's WAL flush) no longer holds its worker.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.part = args.child
        print(json.dumps(child(args)))
        return
    from bench._django import machine

    print(f"bench/consult.py on {machine()}")
    r = run_child("inprocess", args)
    if r:
        print(f"\nIn-process, {SYSTEMS * DATASETS * COLUMNS:,} fields, median of {args.rounds}:")
        print(f"{'policies':>9} {'load s':>10} {'decisions/s (evaluate)':>23} "
              f"{'decisions/s (memoised)':>23}")  # fmt: skip
        for policies, row in r.items():
            print(f"{int(policies):>9,} {row['compile_s']:>10.2f} {row['cold_per_s']:>23,.0f} "
                  f"{row['warm_per_s']:>23,.0f}   {row['decisions']}")  # fmt: skip
        ratio = r["50"]["cold_per_s"] / r["5000"]["cold_per_s"]
        print(f"per-decision time at 5,000 policies / at 50: {ratio:.2f}x (evaluate)")
        print_cedar(r)
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for kind in kinds:
        r = run_child(kind, args)
        if not r:
            continue
        threads = f" --threads {args.threads}" if args.threads > 1 else ""
        print(f"\nHTTP on {kind}, gunicorn -w {args.workers}{threads}, {args.clients} clients, "
              f"{args.duration:g} s each, 5,000 policies:")  # fmt: skip
        print(f"{'endpoint':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for name in ("health", "consult_1", "consult_100", "consult_1000"):
            row = r[name]
            label = {"health": "GET health", "consult_1": "consult, 1 field",
                     "consult_100": "consult, 100 fields",
                     "consult_1000": "consult, 1,000 fields (1 client)"}[name]  # fmt: skip
            print(f"{label:<28} {row['rps']:>8,.0f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}")
        print(f"one-field consult / health: {r['consult_1']['rps'] / r['health']['rps']:.2f}")
        rev = r["revocation"]
        print(f"revocation: {rev['before']} -> {rev['after']} on the next request "
              f"(revoke {rev['write_ms']:.1f} ms; first request {rev['first_request_ms']:.1f} ms "
              f"incl. re-reading it; then {rev['steady_request_ms']:.1f} ms)")  # fmt: skip
    print("\ntargets: >= 200,000 decisions/s; 5,000/50 <= 2x; consult_1/health >= 0.5; "
          "1,000-field p50 <= 50 ms; revocation on the next request")  # fmt: skip


if __name__ == "__main__":
    main()
