"""Consult and lineage at a retailer's scale, on PostgreSQL.

Builds a catalog of `--fields` fields directly in a PostgreSQL database of its own (COPY, not
the API: the API's ingest has its own benchmark), with five lineage edges per field over four
layers (sources, staging, warehouse, marts), definitions and mappings, classifications, 5,000
policies and `--log-rows` decision-log rows; then serves it with gunicorn and measures:

- worker start: from spawning gunicorn to the first answer, and the first consult;
- consult latency at a steady rate, without and with one catalog write per second (a field
  description, a system contact, a field label, a policy revoke, in turn), and the ratio;
- the first consult after each kind of change, the change made through the services;
- lineage through the API: the first query of a worker, 3-hop downstream, full downstream
  closure of a source field and full upstream closure of a mart field;
- the decision log's first page for one field and one consumer, through the API;
- resident memory of each worker after all of that;
- the cycles of the whole graph, once, and memory after it.

    BENCH_SCALE_URL=postgres://postgres@127.0.0.1:5432/db_scale .venv/bin/python bench/scale.py
    .venv/bin/python bench/scale.py --fields 300000 --log-rows 10000000
    .venv/bin/python bench/scale.py --skip-build        # measure the catalog built last time
    .venv/bin/python bench/scale.py --build-only        # build it, measure later

The database named in BENCH_SCALE_URL is dropped and created again (unless --skip-build)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

URL = os.environ.get("BENCH_SCALE_URL", "postgres://postgres@127.0.0.1:5432/db_scale")
PURPOSE = "profile_unification"
COLUMNS = 50  # fields per dataset
LAYERS = ((0.5, "source"), (0.2, "staging"), (0.2, "warehouse"), (0.1, "mart"))
SOURCE_KINDS = ("pos", "crm", "orders", "membership", "payment", "ecommerce")
EDGES_IN = 10  # per derived field: half the fields are derived, so five edges per field
POLICIES = 5_000


def django_setup() -> None:
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django

    django.setup()


# Building ------------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    base, name = URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy(model, columns: list[str], rows) -> int:
    """COPY `rows` (tuples for `columns`) into `model`'s table; every other column gets the
    model's default, blank, or now."""
    from django.db import connection, models
    from django.utils import timezone

    now = timezone.now()
    extra, values = [], []
    for f in model._meta.concrete_fields:
        if f.attname in columns or isinstance(f, models.fields.AutoFieldMixin):
            continue
        if f.has_default():
            value = f.get_default()
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = now
        elif f.null:
            value = None
        elif isinstance(f, models.BooleanField):
            value = False
        elif isinstance(f, models.CharField | models.TextField):
            value = ""
        elif isinstance(f, models.DateTimeField):
            value = now
        else:
            raise SystemExit(f"{model.__name__}.{f.name}: no value")
        if isinstance(f, models.JSONField):
            value = json.dumps(value)
        extra.append(f.column)
        values.append(value)
    table = model._meta.db_table
    cols = ", ".join(f'"{c}"' for c in [*(model._meta.get_field(c).column for c in columns),
                                         *extra])  # fmt: skip
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as out:
            tail = tuple(values)
            for row in rows:
                out.write_row(row + tail)
                count += 1
        if "id" in columns:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
            )
    return count


def layer_of(index: int, total: int) -> int:
    at = 0.0
    for layer, (share, _) in enumerate(LAYERS):
        at += share
        if index < total * at:
            return layer
    return len(LAYERS) - 1


def build(n_fields: int, log_rows: int) -> dict:
    """The catalog, straight into the tables. Returns what the measurements need."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from catalog.models import Dataset, Field, SourceSystem
    from consult.models import (
        AccessPolicy,
        Classification,
        DefinitionClassification,
        FieldClassification,
    )
    from governance.models import (
        Committee,
        CommitteeMembership,
        DefinitionVersion,
        FieldDefinition,
        FieldMapping,
    )
    from lineage.models import DatasetEdge, EtlJob, EtlJobVersion, LineageEdge

    rng = random.Random(12)
    times = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    times["migrate"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    User = get_user_model()
    consumer = User.objects.create_user("bench-consumer")
    consumer.groups.add(Group.objects.get(name="consumer"))
    others = User.objects.bulk_create(User(username=f"other-{i}") for i in range(100))
    Group.objects.get(name="consumer").user_set.add(*others)
    engineer = User.objects.create_user("bench-engineer")
    engineer.groups.add(Group.objects.get(name="engineer"))
    chair = User.objects.create_user("bench-chair")
    chair.groups.add(Group.objects.get(name="committee"))
    User.objects.create_superuser("bench-admin", "admin@example.com", "x")
    board = Committee.objects.create(
        name="Data board", domains=["customer", "order", "payment", "loyalty", "product",
                                    "store", "finance", "other"], min_approvals=1)  # fmt: skip
    CommitteeMembership.objects.create(committee=board, user=chair)

    n_datasets = max(len(LAYERS), n_fields // COLUMNS)
    n_systems = max(8, n_fields // 500)
    layer_systems: dict[int, list[int]] = {}
    systems = []
    for s in range(n_systems):
        layer = layer_of(s, n_systems)
        kind = (SOURCE_KINDS[s % len(SOURCE_KINDS)] if layer == 0 else
                "warehouse" if layer in (1, 2) else "mart")  # fmt: skip
        systems.append((s + 1, f"{LAYERS[layer][1][:3]}{s}", f"System {s}", kind,
                        f"team-{s % 40}", f"contact-{s}@example.com"))  # fmt: skip
        layer_systems.setdefault(layer, []).append(s + 1)
    copy(SourceSystem, ["id", "key", "name", "kind", "owning_team", "technical_contact"], systems)
    system_key = {s[0]: s[1] for s in systems}
    datasets, ds_layer, ds_system = [], {}, {}
    by_layer: dict[int, list[int]] = {}
    for d in range(n_datasets):
        layer = layer_of(d, n_datasets)
        pool = layer_systems[layer]
        system = pool[d % len(pool)]
        datasets.append((d + 1, system, f"s{layer}.t{d}"))
        ds_layer[d + 1], ds_system[d + 1] = layer, system
        by_layer.setdefault(layer, []).append(d + 1)
    copy(Dataset, ["id", "system_id", "name"], datasets)
    n_fields = n_datasets * COLUMNS
    copy(
        Field,
        ["id", "dataset_id", "name", "ordinal", "data_type"],
        ((f, (f - 1) // COLUMNS + 1, f"c{(f - 1) % COLUMNS + 1}", (f - 1) % COLUMNS + 1,
          "varchar(40)") for f in range(1, n_fields + 1)),
    )  # fmt: skip

    def fields_of(dataset: int) -> range:
        return range((dataset - 1) * COLUMNS + 1, dataset * COLUMNS + 1)

    # Lineage: one job per derived dataset reading two datasets of the layer before.
    jobs, versions, edges, dataset_edges, failed_jobs = [], [], [], [], []
    job_id = 0
    for layer in range(1, len(LAYERS)):
        for d in by_layer[layer]:
            job_id += 1
            jobs.append((job_id, f"load_{d}", f"Load s{layer}.t{d}", ds_system[d]))
            failed = rng.random() < 0.02
            versions.append((job_id, job_id, 1, "sql", "ok", "bench", 0))
            sources = rng.sample(by_layer[layer - 1], 2)
            pool = [f for s in sources for f in fields_of(s)]
            for s in sources:
                dataset_edges.append((s, d, job_id, job_id))
            for target in fields_of(d):
                for source in rng.sample(pool, EDGES_IN):
                    direct = rng.random() < 0.6
                    subtype = (rng.choice(("IDENTITY", "IDENTITY", "TRANSFORMATION",
                                           "AGGREGATION")) if direct else "FILTER")  # fmt: skip
                    masking = direct and rng.random() < 0.05
                    edges.append((source, target, "DIRECT" if direct else "INDIRECT", subtype,
                                  masking, job_id, job_id))  # fmt: skip
            if failed:
                failed_jobs.append(job_id)
    # A few jobs whose latest SQL failed to parse: their edges are untrusted.
    versions += [(job_id + 1 + i, j, 2, "sql", "failed", "bench", 0)
                 for i, j in enumerate(failed_jobs)]  # fmt: skip
    copy(EtlJob, ["id", "key", "name", "system_id"], jobs)
    copy(EtlJobVersion, ["id", "job_id", "number", "origin", "status", "submitted_by_name",
                         "edge_count"], versions)  # fmt: skip
    copy(LineageEdge, ["source_id", "target_id", "type", "subtype", "masking", "job_id",
                       "job_version_id"], edges)  # fmt: skip
    copy(DatasetEdge, ["source_id", "target_id", "job_id", "job_version_id"], dataset_edges)
    n_edges = len(edges)
    del edges

    # Definitions: one per twenty fields; 90% approved, 5% deprecated, 5% still drafts.
    n_defs = max(10, n_fields // 20)
    domains = ("customer", "order", "payment", "loyalty", "product", "store", "finance")
    definitions, def_versions, drafts = [], [], []
    for i in range(1, n_defs + 1):
        status = "approved" if i % 20 not in (0, 1) else "deprecated" if i % 20 == 0 else "draft"
        replaced = i - 1 if status == "deprecated" else None
        definitions.append((i, f"def_{i}", domains[i % len(domains)], replaced))
        def_versions.append((i, i, 1, status, f"Definition {i}", f"What field {i} means",
                             "decimal(12,2)"))  # fmt: skip
        if status == "draft":
            drafts.append(i)
    copy(FieldDefinition, ["id", "key", "domain", "replaced_by_id"], definitions)
    copy(DefinitionVersion, ["id", "definition_id", "number", "status", "name", "description",
                             "data_type"], def_versions)  # fmt: skip
    # 60% of the fields are mapped (approved) to a definition.
    copy(
        FieldMapping,
        ["field_id", "definition_id", "status", "conversion_note"],
        ((f, (f * 7) % n_defs + 1, "approved", "as is")
         for f in range(1, n_fields + 1) if f % 5 < 3),
    )  # fmt: skip
    keys = {c.key: c.pk for c in Classification.objects.all()}
    dcs = []
    for i in range(1, n_defs + 1):
        if i % 10 == 3:
            dcs.append((f"def_{i}", keys["pii.direct"]))
        elif i % 20 == 7:
            dcs.append((f"def_{i}", keys["financial"]))
        elif i % 33 == 5:
            dcs.append((f"def_{i}", keys["pii.sensitive"]))
    copy(DefinitionClassification, ["definition_key", "classification_id"], dcs)
    source_fields = [f for d in by_layer[0] for f in fields_of(d)]
    labelled = rng.sample(source_fields, len(source_fields) // 100)
    copy(FieldClassification, ["field_id", "classification_id", "state", "decided_by"],
         ((f, keys["pii.quasi"], "assigned", "bench") for f in labelled))  # fmt: skip

    # Policies: an allow per system for the consumer, then field, dataset and definition
    # policies, a tenth of them the consumer's.
    policies = []

    def field_ref(f: int) -> str:
        d = (f - 1) // COLUMNS + 1
        return f"{system_key[ds_system[d]]}:s{ds_layer[d]}.t{d - 1}.c{(f - 1) % COLUMNS + 1}"

    for i in range(POLICIES):
        if i < n_systems:
            subject, kind, key, effect = consumer.pk, "system", system_key[i + 1], "allow"
        else:
            subject = consumer.pk if i % 10 == 1 else others[i % len(others)].pk
            effect = "deny" if i % 4 == 1 else "allow"
            if i % 3 == 0:
                kind, key = "definition", f"def_{(i * 31) % n_defs + 1}"
            elif i % 3 == 1:
                d = (i * 17) % n_datasets + 1
                kind, key = "dataset", f"{system_key[ds_system[d]]}:s{ds_layer[d]}.t{d - 1}"
            else:
                kind, key = "field", field_ref((i * 7919) % n_fields + 1)
        policies.append((i + 1, f"p{i}", subject, json.dumps([PURPOSE] if i % 2 else ["*"]),
                         kind, key, effect, "bench", "approved"))  # fmt: skip
    copy(AccessPolicy, ["id", "name", "consumer_id", "purposes", "resource_kind",
                        "resource_key", "effect", "justification", "status"], policies)  # fmt: skip
    times["catalog"] = time.perf_counter() - t0

    # The decision log, by the server itself.
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_refs (n int PRIMARY KEY, id bigint, ref text)")
        raw = connection.connection.cursor()
        with raw.copy("COPY bench_refs FROM STDIN") as out:
            for n, f in enumerate(range(1, n_fields + 1)):
                out.write_row((n, f, field_ref(f)))
        names = ["bench-consumer"] + [f"other-{i}" for i in range(100)]
        ids = [consumer.pk] + [o.pk for o in others]
        cursor.execute(
            "INSERT INTO consult_decisionlog (at, consumer_id, consumer_name, simulated_by, "
            "purpose, field_ref, field_id, decision, reasons, policy_ids, catalog_version, "
            "request_id) SELECT now() - make_interval(secs => g / 10.0), "
            "(%s::bigint[])[g %% 101 + 1], (%s::text[])[g %% 101 + 1], '', %s, r.ref, r.id, "
            "CASE WHEN g %% 7 = 0 THEN 'deny' ELSE 'allow' END, "
            "'[{\"code\": \"policy_allowed\", \"policy\": 1}]'::jsonb, '[1]'::jsonb, 1, '' "
            "FROM generate_series(1, %s) g JOIN bench_refs r ON r.n = (g::bigint * 7919) %% %s",
            [ids, names, PURPOSE, log_rows, n_fields],
        )
        # What autovacuum does soon after a bulk load (its insert threshold): statistics, and the
        # visibility map without which a count over an index (the log's paginated first page)
        # reads the table's pages too (650 ms against 18 ms for 99,000 rows of a 10M-row log).
        cursor.execute("VACUUM (ANALYZE)")
    times["decision_log"] = time.perf_counter() - t0
    return {"fields": n_fields, "edges": n_edges, "definitions": n_defs, "times": times}


# Measuring -------------------------------------------------------------------------------------


class Server:
    def __init__(self, workers: int, port: int):
        self.port = port
        env = {**os.environ, "DATABASE_URL": URL, "DEBUG": "0", "TESTING": "1"}
        env.pop("TEST_DATABASE_NAME", None)
        self.log = open(os.path.join("/tmp", f"bench-scale-{port}.log"), "w")  # noqa: SIM115
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [os.path.join(ROOT, ".venv", "bin", "gunicorn"), "config.wsgi", "-b",
             f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning",
             "--timeout", "300"],
            cwd=ROOT, env=env, stderr=self.log,
        )  # fmt: skip

    def request(self, method, path, body=None, headers=None, timeout=300):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        t0 = time.perf_counter()
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - t0
        conn.close()
        return response.status, data, elapsed

    def wait_ready(self) -> float:
        while True:
            try:
                status, _, _ = self.request("GET", "/api/v1/health/", timeout=2)
                if status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)

    def worker_rss_mb(self) -> list[float]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        sizes = []
        for pid in out:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def pct(values, q) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))] * 1000


def steady(server, body_of, headers, rate: float, duration: float, threads: int = 4) -> list:
    """Consults at `rate` requests/s in all, each thread keeping its own schedule (a late
    request is sent at once, not skipped): latencies in seconds."""
    latencies, lock = [], threading.Lock()
    interval = threads / rate
    deadline = time.perf_counter() + duration

    def run(seed):
        rng = random.Random(seed)
        next_at = time.perf_counter() + rng.random() * interval
        while next_at < deadline:
            pause = next_at - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            status, _, elapsed = server.request("POST", "/api/v1/consult/", body_of(rng),
                                                headers)  # fmt: skip
            if status != 200:
                raise SystemExit(f"consult answered {status}")
            with lock:
                latencies.append(elapsed)
            next_at += interval

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies


def measure(args, world: dict) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from catalog.models import Field, SourceSystem
    from consult.models import AccessPolicy, Classification
    from consult.services import set_field_classification, transition_policy
    from core.audit import Actor
    from core.services import issue_token, update_object
    from governance import workflow
    from governance.models import DefinitionVersion, FieldMapping, Review
    from governance.services import definition_transition
    from lineage.models import LineageEdge

    User = get_user_model()
    admin = Actor(User.objects.get(username="bench-admin"), reason="bench")
    tokens = {
        name: issue_token(admin, User.objects.get(username=name))[1]
        for name in ("bench-consumer", "bench-engineer", "bench-chair")
    }

    def auth(name):
        return {"Authorization": f"Token {tokens[name]}", "Content-Type": "application/json"}

    n_fields = Field.objects.count()
    # What the CDP consults: warehouse and mart fields (the deepest upstream), a hot set.
    rng = random.Random(7)
    derived = list(
        Field.objects.filter(dataset__name__regex=r"^s[23]\.").values_list("pk", flat=True)
    )
    hot_ids = rng.sample(derived, min(args.hot, len(derived)))
    refs = {f.pk: f.ref for f in Field.objects.filter(pk__in=hot_ids).select_related(
        "dataset__system")}  # fmt: skip
    hot = [refs[i] for i in hot_ids]

    def body(fields):
        return json.dumps({"purpose": PURPOSE, "fields": fields})

    def body_of(r):
        return body(r.sample(hot, args.batch))

    out = {"fields": n_fields}
    server = Server(args.workers, args.port)
    try:
        out["ready_s"] = server.wait_ready()
        _, _, out["first_consult_s"] = server.request(
            "POST", "/api/v1/consult/", body(hot[:1]), auth("bench-consumer")
        )
        # Warm: every worker computes the hot fields once.
        t0 = time.perf_counter()
        for _ in range(args.workers * 3):
            for start in range(0, len(hot), 1000):
                server.request("POST", "/api/v1/consult/", body(hot[start:start + 1000]),
                               auth("bench-consumer"))  # fmt: skip
        out["warm_s"] = time.perf_counter() - t0

        quiet = steady(server, body_of, auth("bench-consumer"), args.rate, args.duration)

        # One catalog write per second, through the services, while the same load runs.
        stop = threading.Event()
        writes = {"count": 0}
        systems = list(SourceSystem.objects.values_list("pk", flat=True))
        spare = list(AccessPolicy.objects.filter(resource_kind="field", status="approved").exclude(
            consumer__username="bench-consumer").values_list("pk", flat=True)[:500])  # fmt: skip
        label = Classification.objects.get(key="internal")

        def writer():
            wrng = random.Random(3)
            i = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                kind = i % 4
                if kind == 0:
                    f = Field.objects.get(pk=wrng.choice(hot_ids))
                    update_object(admin, f, {"description": f"edited {i}"})
                elif kind == 1:
                    s = SourceSystem.objects.get(pk=wrng.choice(systems))
                    update_object(admin, s, {"technical_contact": f"c{i}@example.com"})
                elif kind == 2:
                    f = Field.objects.get(pk=wrng.randrange(1, n_fields + 1))
                    set_field_classification(admin, f, label, "assigned")
                else:
                    p = AccessPolicy.objects.get(pk=spare.pop())
                    transition_policy(admin, p, "revoke", reason="bench")
                writes["count"] += 1
                i += 1
                stop.wait(max(0.0, 1.0 - (time.perf_counter() - t0)))
            connection.close()

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            busy = steady(server, body_of, auth("bench-consumer"), args.rate, args.duration)
        finally:
            stop.set()
            thread.join()
        out["writes"] = writes["count"]
        out["quiet"] = (pct(quiet, 50), pct(quiet, 99), len(quiet))
        out["busy"] = (pct(busy, 50), pct(busy, 99), len(busy))

        # The first consult after each kind of change (median of 5, each on a fresh target).
        def first_after(change, target) -> tuple[float, dict]:
            change()
            _, data, elapsed = server.request(
                "POST",
                "/api/v1/consult/",
                body([target, *rng.sample(hot, args.batch - 1)]),
                auth("bench-consumer"),
            )
            return elapsed, json.loads(data)["decisions"][0]

        firsts = {}
        targets = rng.sample(hot_ids, 20)
        edits = []
        for i in range(5):
            f = Field.objects.get(pk=targets[i])
            edits.append(first_after(
                lambda f=f: update_object(admin, f, {"description": "edited again"}), refs[f.pk]
            )[0])  # fmt: skip
        firsts["description edit"] = statistics.median(edits) * 1000
        revokes = []
        for _ in range(5):
            p = (
                AccessPolicy.objects.filter(
                    consumer__username="bench-consumer", resource_kind="system", status="approved"
                )
                .order_by("?")
                .first()
            )
            if p is None:
                break
            covered = [r for r in hot if r.startswith(p.resource_key + ":")] or hot
            elapsed, _ = first_after(
                lambda p=p: transition_policy(admin, p, "revoke", reason="bench"), covered[0]
            )
            revokes.append(elapsed)
        firsts["policy revoke"] = statistics.median(revokes) * 1000
        approvals = []
        drafts = DefinitionVersion.objects.filter(status="draft").values_list(
            "definition_id", flat=True
        )[:5]
        for did in drafts:
            m = (
                FieldMapping.objects.select_related("field__dataset__system", "definition")
                .filter(definition_id=did)
                .first()
            )
            d = m.definition
            definition_transition(admin, d, "submit")
            review = Review.objects.filter(object_id=d.versions.get().pk).latest("id")
            elapsed, decision = first_after(
                lambda review=review: workflow.override(admin, review, "approve", "bench"),
                m.field.ref,
            )
            assert decision["definition"] and decision["definition"]["key"] == d.key, decision
            approvals.append(elapsed)
        firsts["definition approved"] = statistics.median(approvals) * 1000
        labels = []
        pii = Classification.objects.get(key="pii.direct")
        for i in range(5):
            f = Field.objects.select_related("dataset__system").get(pk=targets[10 + i])
            elapsed, decision = first_after(
                lambda f=f: set_field_classification(admin, f, pii, "assigned"), refs[f.pk]
            )
            assert "pii.direct" in decision["classifications"], decision
            labels.append(elapsed)
        firsts["masking classification"] = statistics.median(labels) * 1000
        out["firsts"] = firsts

        # Lineage through the API, from source fields that feed something (the widest
        # downstream; about half the source fields of this generator feed nothing).
        drawn = Field.objects.filter(dataset__name__startswith="s0.").order_by("?")
        drawn = list(drawn.select_related("dataset__system")[: args.lineage * 6])
        feeding = set(LineageEdge.objects.filter(source__in=drawn).values_list("source", flat=True))
        sources = [f.ref for f in drawn if f.pk in feeding][: args.lineage]
        path = "/api/v1/lineage/graph/?field={}&direction=downstream"
        status, _, out["lineage_first_s"] = server.request(
            "GET", path.format(sources[0]) + "&depth=3", None, auth("bench-engineer")
        )
        assert status == 200
        for _ in range(args.workers * 2):  # every worker's first lineage query
            server.request("GET", path.format(sources[0]) + "&depth=3", None,
                           auth("bench-engineer"))  # fmt: skip
        hops, hop_sizes, closure, sizes = [], [], [], []
        for ref in sources:
            _, data, t = server.request("GET", path.format(ref) + "&depth=3", None,
                                        auth("bench-engineer"))  # fmt: skip
            hops.append(t)
            hop_sizes.append(json.loads(data)["downstream"]["count"])
            _, data, t = server.request("GET", path.format(ref), None, auth("bench-engineer"))
            closure.append(t)
            sizes.append(json.loads(data)["downstream"]["count"])
        out["hop3"] = (pct(hops, 50), pct(hops, 95), statistics.median(hop_sizes))
        out["closure"] = (pct(closure, 50), pct(closure, 95), statistics.median(sizes))
        # Full upstream closure from mart fields (the widest upstream: every layer fans in).
        marts = [f.ref for f in Field.objects.filter(dataset__name__startswith="s3.")
                 .select_related("dataset__system").order_by("?")[:args.lineage]]  # fmt: skip
        up = "/api/v1/lineage/graph/?field={}&direction=upstream"
        closure, sizes = [], []
        for ref in marts:
            _, data, t = server.request("GET", up.format(ref), None, auth("bench-engineer"))
            closure.append(t)
            sizes.append(json.loads(data)["upstream"]["count"])
        out["up_closure"] = (pct(closure, 50), pct(closure, 95), statistics.median(sizes))

        # The decision log's first page.
        log = {}
        for name, query in (("field", "field={}"), ("consumer", "consumer={}")):
            times = []
            for i in range(20):
                value = hot[i] if name == "field" else f"other-{i}"
                status, _, t = server.request(
                    "GET", "/api/v1/consult/decisions/?" + query.format(value), None,
                    auth("bench-chair"))  # fmt: skip
                assert status == 200, status
                times.append(t)
            log[name] = (pct(times, 50), pct(times, 95))
        out["log"] = log
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), pg_total_relation_size('consult_decisionlog') "
                           "FROM consult_decisionlog")  # fmt: skip
            out["log_rows"], out["log_bytes"] = cursor.fetchone()
        out["rss_mb"] = server.worker_rss_mb()
        # The whole-graph question, once: cycles (trimmed in SQL and in compact arrays, then
        # networkx on what is left), and what it leaves in the worker that answered.
        status, data, out["cycles_s"] = server.request(
            "GET", "/api/v1/lineage/graph/cycles/", None, auth("bench-engineer"))  # fmt: skip
        assert status == 200, status
        out["cycles"] = json.loads(data)["count"]
        out["rss_after_cycles_mb"] = server.worker_rss_mb()
    finally:
        server.stop()
    return out


def report(args, world, r) -> None:
    from bench._django import machine

    q50, q99, qn = r["quiet"]
    b50, b99, bn = r["busy"]
    rows = [
        ("catalog", f"{r['fields']:,} fields, {world.get('edges', 0):,} edges, "
                    f"{POLICIES:,} policies, {r['log_rows']:,} decision-log rows"),
        ("build (COPY)", " ".join(f"{k} {v:.0f} s" for k, v in world.get("times", {}).items())),
        ("worker start: first answer / first consult",
         f"{r['ready_s']:.2f} s / {r['first_consult_s'] * 1000:.0f} ms"),
        (f"warm {args.hot:,} hot fields on {args.workers} workers", f"{r['warm_s']:.1f} s"),
        (f"consult p50 / p99, {args.rate:g}/s of {args.batch} fields, no writes",
         f"{q50:.1f} / {q99:.1f} ms ({qn} requests)"),
        (f"the same with one write per second ({r['writes']} writes)",
         f"{b50:.1f} / {b99:.1f} ms ({bn} requests)"),
        ("p99 with writes / without", f"**{b99 / q99:.2f}**"),
        *((f"first consult after a {k}", f"{v:.0f} ms") for k, v in r["firsts"].items()),
        ("lineage: first query of a worker", f"{r['lineage_first_s']:.2f} s"),
        ("lineage 3-hop downstream p50 / p95",
         f"{r['hop3'][0]:.0f} / {r['hop3'][1]:.0f} ms (median {r['hop3'][2]:,.0f} fields)"),
        ("lineage full downstream closure p50 / p95",
         f"{r['closure'][0]:.0f} / {r['closure'][1]:.0f} ms "
         f"(median {r['closure'][2]:,.0f} fields)"),
        ("lineage full upstream closure of a mart field p50 / p95",
         f"{r['up_closure'][0]:.0f} / {r['up_closure'][1]:.0f} ms "
         f"(median {r['up_closure'][2]:,.0f} fields)"),
        ("decision log, first page by field p50 / p95",
         f"{r['log']['field'][0]:.0f} / {r['log']['field'][1]:.0f} ms"),
        ("decision log, first page by consumer p50 / p95",
         f"{r['log']['consumer'][0]:.0f} / {r['log']['consumer'][1]:.0f} ms"),
        ("decision log size", f"{r['log_bytes'] / 2**20:,.0f} MB "
                              f"({r['log_bytes'] / max(1, r['log_rows']) * 1e6 / 2**20:,.0f} MB "
                              "per million rows, with indexes)"),
        ("worker resident memory after all of the above",
         " / ".join(f"{m:.0f} MB" for m in r["rss_mb"])),
        ("lineage cycles, the whole graph (one request)",
         f"{r['cycles_s']:.1f} s ({r['cycles']} cycles); worker memory after it "
         + " / ".join(f"{m:.0f} MB" for m in r["rss_after_cycles_mb"])),
    ]  # fmt: skip
    print(f"bench/scale.py on {machine()}, PostgreSQL, gunicorn -w {args.workers}, "
          f"{time.strftime('%Y-%m-%d')}")  # fmt: skip
    print()
    print("| measure | value |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fields", type=int, default=100_000)
    parser.add_argument("--log-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build, measure nothing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--hot", type=int, default=5_000, help="fields the CDP consults")
    parser.add_argument("--batch", type=int, default=10, help="fields per consult")
    parser.add_argument("--rate", type=float, default=20.0, help="consults per second")
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--lineage", type=int, default=100, help="lineage queries")
    args = parser.parse_args()
    world = {}
    # What the build made, kept beside the database it describes.
    saved = f"/tmp/bench-scale-world-{URL.rsplit('/', 1)[1]}.json"
    if not args.skip_build:
        recreate_database()
    django_setup()
    if not args.skip_build:
        world = build(args.fields, args.log_rows)
        with open(saved, "w") as f:
            json.dump(world, f)
        if args.build_only:
            print(json.dumps(world))
            return
    elif os.path.exists(saved):
        with open(saved) as f:
            world = json.load(f)
    report(args, world, measure(args, world))


if __name__ == "__main__":
    main()
