"""Jobs, versions and stored edges through lineage.services, on real SQL."""

from __future__ import annotations

from catalog.models import Dataset, Field, SourceSystem
from catalog.services import create_dataset
from core.audit import Actor
from core.models import AppendOnlyError, ChangeRecord
from lineage import adjacency
from lineage import graph as g
from lineage.models import DatasetEdge, EtlJobVersion, LineageEdge
from lineage.services import rebuild, submit_sql
from tests.lineage.helpers import CUSTOMER_SQL, LineageTestCase, direct_edges, field

BROKEN = "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts WHERE ;"


class SubmitSqlTests(LineageTestCase):
    def test_submitted_sql_becomes_exact_column_edges(self):
        self.assertEqual(
            direct_edges(self.customer_job),
            {
                ("crm:public.contacts.contact_id", "dw:dw.customer.customer_id"),
                ("crm:public.contacts.email", "dw:dw.customer.email_hash"),
                ("crm:public.contacts.tier", "dw:dw.customer.tier"),
            },
        )

    def test_join_columns_are_stored_as_indirect_edges(self):
        indirect = {
            (e.source.ref, e.target.ref, e.subtype)
            for e in LineageEdge.objects.filter(job=self.sales_job, type="INDIRECT")
        }
        self.assertEqual(
            indirect,
            {
                (source, f"dw:dw.sales.{column}", "JOIN")
                for source in ("pos:sales.transactions.contact_id", "dw:dw.customer.customer_id")
                for column in ("customer_id", "amount", "tier")
            },
        )

    def test_hashing_sets_the_masking_flag_and_keeps_the_expression(self):
        edge = LineageEdge.objects.get(target=field("dw:dw.customer.email_hash"))
        self.assertTrue(edge.masking)
        self.assertEqual(edge.subtype, "TRANSFORMATION")
        self.assertIn("MD5", edge.expression.upper())
        self.assertFalse(LineageEdge.objects.get(target=field("dw:dw.customer.tier")).masking)

    def test_each_edge_records_its_job_and_version(self):
        version = self.customer_job.current_version
        self.assertEqual(version.number, 1)
        self.assertEqual(version.status, "ok")
        self.assertEqual(version.edge_count, 3)
        self.assertEqual(
            set(
                LineageEdge.objects.filter(job=self.customer_job).values_list(
                    "job_version", flat=True
                )
            ),
            {version.pk},
        )

    def test_table_level_edges_link_the_datasets(self):
        pairs = {
            (e.source.ref, e.target.ref) for e in DatasetEdge.objects.filter(job=self.sales_job)
        }
        self.assertEqual(
            pairs, {("pos:sales.transactions", "dw:dw.sales"), ("dw:dw.customer", "dw:dw.sales")}
        )

    def test_new_sql_replaces_the_jobs_edges(self):
        submit_sql(
            Actor(self.engineer),
            self.customer_job,
            "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts;",
        )
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.current_version.number, 2)
        self.assertEqual(
            direct_edges(self.customer_job),
            {("crm:public.contacts.contact_id", "dw:dw.customer.customer_id")},
        )
        self.assertEqual(self.customer_job.versions.count(), 2)

    def test_sql_that_fails_to_parse_is_stored_and_the_last_good_edges_are_kept(self):
        before = direct_edges(self.customer_job)
        version = submit_sql(Actor(self.engineer), self.customer_job, BROKEN)
        self.assertEqual(version.status, "failed")
        self.assertEqual(version.sql, BROKEN)
        self.assertEqual(len(version.errors), 1)
        error = version.errors[0]
        self.assertEqual((error["statement"], error["line"]), (0, 1))
        self.assertTrue(error["message"])
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.current_version.number, 1)
        self.assertEqual(direct_edges(self.customer_job), before)

    def test_a_partly_failing_version_keeps_what_parsed_and_carries_the_rest_over(self):
        sql = (
            "INSERT INTO dw.sales (customer_id) SELECT contact_id FROM sales.transactions;\n"
            "INSERT INTO dw.customer (customer_id, tier) SELECT contact_id, tier\n"
            "FROM public.contacts WHERE (tier = ;\n"
        )
        version = submit_sql(Actor(self.engineer), self.customer_job, sql)
        self.assertEqual(version.status, "partial")
        self.assertEqual([(e["statement"], e["line"]) for e in version.errors], [(1, 3)])
        edges = direct_edges(self.customer_job)
        # The parsed statement's edge ...
        self.assertIn(("pos:sales.transactions.contact_id", "dw:dw.sales.customer_id"), edges)
        # ... and the previous edges into dw.customer, which only the failed statement writes.
        self.assertIn(("crm:public.contacts.email", "dw:dw.customer.email_hash"), edges)
        carried = LineageEdge.objects.get(target=field("dw:dw.customer.email_hash"))
        self.assertEqual(carried.job_version.number, 1)
        self.assertTrue(
            any("kept from an earlier version" in w["message"] for w in version.warnings)
        )
        self.customer_job.refresh_from_db()
        self.assertEqual(self.customer_job.current_version, version)

    def test_a_parser_crash_is_stored_as_a_failed_version(self):
        from unittest import mock

        with mock.patch("lineage.services.extract_lineage", side_effect=RecursionError("deep")):
            version = submit_sql(Actor(self.engineer), self.customer_job, CUSTOMER_SQL)
        self.assertEqual(version.status, "failed")
        self.assertIn("The parser failed: deep", version.errors[0]["message"])
        self.assertEqual(len(direct_edges(self.customer_job)), 3)

    def test_versions_are_immutable(self):
        version = self.customer_job.current_version
        version.sql = "changed"
        with self.assertRaises(AppendOnlyError):
            version.save()

    def test_submitting_writes_audit_records_for_the_version_the_job_and_the_edges(self):
        ChangeRecord.objects.all()
        last = ChangeRecord.objects.order_by("-id").first().id
        version = submit_sql(
            Actor(self.engineer, reason="drop tier"),
            self.customer_job,
            "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts;",
        )
        records = ChangeRecord.objects.filter(id__gt=last)
        kinds = {(r.object_type, r.action) for r in records}
        self.assertIn(("lineage.etljobversion", "create"), kinds)
        self.assertIn(("lineage.etljob", "update"), kinds)
        self.assertIn(("lineage.lineageedge", "delete"), kinds)
        self.assertEqual({r.actor_name for r in records}, {"engineer"})
        self.assertEqual({r.reason for r in records}, {"drop tier"})
        created = records.get(object_type="lineage.etljobversion")
        self.assertEqual(created.after["sql"], version.sql)

    def test_a_failed_version_is_audited_too(self):
        last = ChangeRecord.objects.order_by("-id").first().id
        version = submit_sql(Actor(self.engineer), self.customer_job, BROKEN)
        record = ChangeRecord.objects.get(id__gt=last)
        self.assertEqual(
            (record.object_type, record.object_id), ("lineage.etljobversion", str(version.pk))
        )


class DiscoveryTests(LineageTestCase):
    def test_unknown_tables_and_columns_are_registered_as_discovered(self):
        job = self.add_job(
            self.engineer,
            "load_stores",
            "INSERT INTO dw.store_dim (store_id, region) SELECT s.id, s.region FROM ref.stores s;",
        )
        self.assertEqual(
            direct_edges(job),
            {
                ("dw:ref.stores.id", "dw:dw.store_dim.store_id"),
                ("dw:ref.stores.region", "dw:dw.store_dim.region"),
            },
        )
        for name in ("ref.stores", "dw.store_dim"):
            dataset = Dataset.objects.get(system__key="dw", name=name)
            self.assertTrue(dataset.discovered)
            self.assertTrue(
                ChangeRecord.objects.filter(
                    object_type="catalog.dataset", object_id=str(dataset.pk), action="create"
                ).exists()
            )
        self.assertTrue(field("dw:ref.stores.region").discovered)
        self.assertEqual(field("dw:dw.store_dim.region").ordinal, 2)

    def test_a_known_table_gets_its_unknown_column_discovered(self):
        job = self.add_job(
            self.engineer,
            "extra",
            "INSERT INTO dw.customer (segment) SELECT phone FROM public.contacts;",
        )
        self.assertEqual(
            direct_edges(job), {("crm:public.contacts.phone", "dw:dw.customer.segment")}
        )
        segment = field("dw:dw.customer.segment")
        self.assertTrue(segment.discovered)
        self.assertFalse(segment.dataset.discovered)

    def test_a_source_of_unknown_table_is_skipped_with_a_warning(self):
        job = self.add_job(
            self.engineer,
            "ambiguous",
            "INSERT INTO dw.customer (tier) SELECT tier FROM public.contacts, sales.transactions;",
        )
        version = job.current_version
        edges = direct_edges(job)
        unknown_sources = [
            c for c in version.result["columns"] if c["source"].startswith("<unknown>")
        ]
        if unknown_sources:
            self.assertTrue(any("unknown" in w["message"] for w in version.warnings))
        self.assertFalse(any("<unknown>" in s for s, _ in edges))

    def test_select_star_without_known_columns_keeps_table_lineage(self):
        job = self.add_job(self.engineer, "star", "INSERT INTO dw.copy SELECT * FROM ext.feed;")
        self.assertEqual(direct_edges(job), set())
        self.assertEqual(
            {(e.source.ref, e.target.ref) for e in DatasetEdge.objects.filter(job=job)},
            {("dw:ext.feed", "dw:dw.copy")},
        )
        self.assertTrue(any("'*'" in w["message"] for w in job.current_version.warnings))

    def test_select_star_expands_with_the_catalogs_columns(self):
        job = self.add_job(
            self.engineer,
            "star_known",
            "INSERT INTO dw.sales SELECT * FROM sales.transactions;",
        )
        self.assertEqual(
            direct_edges(job),
            {
                ("pos:sales.transactions.txn_id", "dw:dw.sales.customer_id"),
                ("pos:sales.transactions.contact_id", "dw:dw.sales.amount"),
                ("pos:sales.transactions.amount", "dw:dw.sales.tier"),
            },
        )


class NameResolutionTests(LineageTestCase):
    def test_a_name_unique_in_another_system_resolves_there(self):
        self.assertIn(
            ("pos:sales.transactions.amount", "dw:dw.sales.amount"), direct_edges(self.sales_job)
        )

    def test_the_jobs_own_system_wins_over_other_systems(self):
        create_dataset(
            Actor(self.engineer),
            {"system": SourceSystem.objects.get(key="dw"), "name": "public.contacts"},
        )
        job = self.add_job(
            self.engineer,
            "local",
            "INSERT INTO dw.customer (tier) SELECT tier FROM public.contacts;",
        )
        self.assertEqual(direct_edges(job), {("dw:public.contacts.tier", "dw:dw.customer.tier")})

    def test_a_system_key_prefix_selects_that_system(self):
        job = self.add_job(
            self.engineer,
            "prefixed",
            "INSERT INTO dw.customer (tier) SELECT tier FROM crm.public.contacts;",
        )
        self.assertEqual(direct_edges(job), {("crm:public.contacts.tier", "dw:dw.customer.tier")})

    def test_an_unqualified_name_finds_the_one_schema_holding_it(self):
        job = self.add_job(
            self.engineer, "unqualified", "INSERT INTO sales (tier) SELECT tier FROM customer;"
        )
        self.assertEqual(direct_edges(job), {("dw:dw.customer.tier", "dw:dw.sales.tier")})


class RebuildTests(LineageTestCase):
    def test_rebuild_leaves_jobs_whose_parse_is_unchanged(self):
        counts = rebuild(Actor.system("tests"))
        self.assertEqual(counts, {"jobs": 2, "reparsed": 0, "unchanged": 2, "skipped": 0})
        self.assertEqual(EtlJobVersion.objects.count(), 2)

    def test_rebuild_reparses_when_the_result_changed(self):
        version = self.customer_job.current_version
        # As if stored by an older parser: the ORM refuses changes to a version, the raw manager
        # does not.
        EtlJobVersion._base_manager.filter(pk=version.pk).update(result={"stale": True})
        counts = rebuild(Actor.system("tests"))
        self.assertEqual(counts["reparsed"], 1)
        self.customer_job.refresh_from_db()
        latest = self.customer_job.current_version
        self.assertEqual((latest.number, latest.origin, latest.sql), (2, "rebuild", CUSTOMER_SQL))
        self.assertEqual(len(direct_edges(self.customer_job)), 3)


class StoredGraphTests(LineageTestCase):
    """The walks read the stored edges per request: a change shows on the next read, and
    nothing of the graph stays in the process between requests."""

    def test_a_change_is_visible_on_the_next_read(self):
        source, target = field("crm:public.contacts.tier").pk, field("dw:dw.customer.tier").pk
        downstream = adjacency.fields()
        self.assertIn(target, downstream([source], False).get(source, {}))
        submit_sql(
            Actor(self.engineer),
            self.customer_job,
            "INSERT INTO dw.customer (customer_id) SELECT contact_id FROM public.contacts;",
        )
        self.assertNotIn(target, downstream([source], False).get(source, {}))
        customer_id = field("dw:dw.customer.customer_id").pk
        upstream = g.reach(adjacency.fields(), [customer_id], upstream=True)
        self.assertEqual(upstream, {field("crm:public.contacts.contact_id").pk})

    def test_deleting_a_job_removes_its_edges_from_the_graph(self):
        from lineage.services import delete_job

        source = field("pos:sales.transactions.amount").pk
        self.assertTrue(g.reach(adjacency.fields(), [source]))
        delete_job(Actor(self.other_engineer), self.sales_job)
        self.assertEqual(g.reach(adjacency.fields(), [source]), set())
        self.assertFalse(Field.objects.filter(pk=source).count() == 0)

    def test_edges_of_several_jobs_are_one_edge_with_their_jobs(self):
        source, target = field("crm:public.contacts.tier").pk, field("dw:dw.customer.tier").pk
        edge = adjacency.fields()([target], True)[target][source]
        self.assertEqual(edge, {"m": g.DIRECT, "j": ((self.customer_job.pk, g.DIRECT),)})

    def test_edges_written_behind_the_services_back_are_seen_at_once(self):
        # Nothing of the graph is kept between requests: not even a bulk load that tells no
        # one (as bench/scale.py's COPY) can leave a reader stale.
        from lineage import queries

        tier, email = field("dw:dw.customer.tier"), field("dw:dw.customer.email_hash")
        walk = queries.walk(self.engineer, tier, direction="downstream", depth=1)
        self.assertNotIn(email.ref, [r["ref"] for r in walk["downstream"]["results"]])
        LineageEdge.objects.create(
            source=tier,
            target=email,
            type="DIRECT",
            job=self.customer_job,
            job_version=self.customer_job.current_version,
        )
        walk = queries.walk(self.engineer, tier, direction="downstream", depth=1)
        self.assertIn(email.ref, [r["ref"] for r in walk["downstream"]["results"]])


class WriteRightsTests(LineageTestCase):
    def test_create_job_needs_change_rights_on_its_system_except_for_system_actors(self):
        from lineage.services import WriteDenied, create_job

        pos = SourceSystem.objects.get(key="pos")
        with self.assertRaisesMessage(WriteDenied, "You may not change system 'pos'"):
            create_job(Actor(self.engineer), {"key": "x", "name": "x", "system": pos})
        job = create_job(
            Actor.system("loader"), {"key": "x", "name": "x", "system": pos, "owner": self.engineer}
        )
        self.assertEqual((job.system, job.owner), (pos, self.engineer))

    def test_authorized_submit_refuses_writes_into_other_systems_and_stores_nothing(self):
        from lineage.services import WriteDenied

        before = (EtlJobVersion.objects.count(), Dataset.objects.count())
        sql = "INSERT INTO crm.brand_new (a) SELECT tier FROM dw.customer;"
        with self.assertRaises(WriteDenied) as caught:
            submit_sql(Actor(self.engineer), self.customer_job, sql, authorize=True)
        self.assertEqual(caught.exception.systems, ["crm"])
        self.assertEqual((EtlJobVersion.objects.count(), Dataset.objects.count()), before)
        version = submit_sql(Actor.system("loader"), self.customer_job, sql, authorize=True)
        self.assertEqual(version.status, "ok")
        self.assertTrue(Dataset.objects.filter(system__key="crm", name="brand_new").exists())


class PlainSelectInJobTests(LineageTestCase):
    def test_a_plain_select_in_a_job_registers_no_query_dataset_and_no_edges(self):
        sql = CUSTOMER_SQL + "\nSELECT c.contact_id, c.email FROM public.contacts c;\n"
        version = submit_sql(Actor(self.engineer), self.customer_job, sql)
        self.assertEqual(version.status, "ok")
        self.assertFalse(Dataset.objects.filter(name__contains="<query>").exists())
        self.assertEqual(len(direct_edges(self.customer_job)), 3)
