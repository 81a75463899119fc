"""Classifications follow DIRECT lineage except masking edges; aggregations are marked; steward
overrides and confirmations survive lineage rebuilds."""

from __future__ import annotations

from django.test import SimpleTestCase, override_settings

from consult.adapters import Edge
from consult.propagation import (
    downstream_adjacency,
    propagate,
    untrusted_upstream,
    upstream_adjacency,
)
from lineage.models import LineageEdge
from tests.consult.helpers import LABELS_URL, ConsultTestCase, field


def edge(source, target, subtype="IDENTITY", masking=False, type="DIRECT", failed=False):
    return Edge(source, target, type, subtype, masking, "job", failed)


class PropagationTests(SimpleTestCase):
    def test_follows_direct_edges_transitively_with_the_path(self):
        adjacency = downstream_adjacency([edge(1, 2), edge(2, 3)])
        found = propagate(adjacency, [1])
        self.assertEqual(found[3].path, (1, 2, 3))
        self.assertFalse(found[3].via_aggregation)

    def test_masking_and_indirect_edges_break_it(self):
        adjacency = downstream_adjacency([edge(1, 2, masking=True), edge(1, 3, type="INDIRECT")])
        self.assertEqual(propagate(adjacency, [1]), {})

    def test_aggregation_passes_it_on_marked_and_a_plain_path_wins(self):
        adjacency = downstream_adjacency(
            [edge(1, 2, "AGGREGATION"), edge(2, 3), edge(1, 4), edge(4, 3)]
        )
        found = propagate(adjacency, [1])
        self.assertTrue(found[2].via_aggregation)
        self.assertEqual((found[3].path, found[3].via_aggregation), ((1, 4, 3), False))

    def test_an_overridden_field_neither_takes_nor_passes_it(self):
        adjacency = downstream_adjacency([edge(1, 2), edge(2, 3)])
        self.assertEqual(propagate(adjacency, [1], blocked={2}), {})

    def test_untrusted_upstream_is_transitive_and_names_failed_jobs(self):
        adjacency = upstream_adjacency([edge(1, 2), edge(2, 3, failed=True)])
        found = untrusted_upstream(
            adjacency, 3, lambda f: "no approved definition" if f == 1 else None
        )
        self.assertEqual([f for f, _ in found], [1, 3])


class StewardOverrideTests(ConsultTestCase):
    ref = "dw:dw.customer_dim.email"

    def labels(self, user=None):
        response = self.as_(user or self.steward).get(LABELS_URL, {"field": self.ref})
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def set_label(self, state, reason="", user=None, classification="pii.direct"):
        return self.as_(user or self.steward).post(
            LABELS_URL,
            {"field": self.ref, "classification": classification, "state": state,
             "reason": reason},
            format="json",
        )  # fmt: skip

    def test_propagated_label_shows_its_path(self):
        (label,) = self.labels()["classifications"]
        self.assertEqual(label["source"], "propagated")
        self.assertEqual(label["path"], ["crm:public.contacts.email", self.ref])

    def test_masking_edge_stops_pii_at_the_hash(self):
        d = self.decide("cdp:cdp.customer_profile.email_hash")
        self.assertEqual((d["decision"], d["classifications"]), ("allow", []))

    def test_steward_override_needs_a_reason_and_is_audited(self):
        from core.models import ChangeRecord

        response = self.set_label("overridden")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["path"], "reason")
        response = self.set_label("overridden", "dw email is a salted copy, not PII")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["classifications"], [])
        self.assertEqual(body["overridden"][0]["reason"], "dw email is a salted copy, not PII")
        record = ChangeRecord.objects.filter(object_type="consult.fieldclassification").first()
        self.assertEqual((record.actor_name, record.reason),
                         ("steward", "dw email is a salted copy, not PII"))  # fmt: skip
        self.assertEqual(self.decide(self.ref)["classifications"], [])

    def test_override_survives_a_lineage_rebuild(self):
        self.set_label("overridden", "not PII")
        edges = list(LineageEdge.objects.filter(target=field(self.ref)).values())
        LineageEdge.objects.filter(target=field(self.ref)).delete()
        LineageEdge.objects.bulk_create(LineageEdge(**{k: v for k, v in e.items() if k != "id"})
                                        for e in edges)  # fmt: skip
        self.setUp()
        self.assertEqual(self.labels()["classifications"], [])

    def test_confirmed_label_stays_when_lineage_disappears(self):
        self.assertEqual(self.set_label("confirmed", "checked").status_code, 200)
        LineageEdge.objects.filter(target=field(self.ref)).delete()
        self.setUp()
        (label,) = self.labels()["classifications"]
        self.assertEqual(label["source"], "confirmed")

    def test_confirming_a_label_that_did_not_propagate_is_a_400(self):
        response = self.set_label("confirmed", classification="financial")
        self.assertEqual(response.status_code, 400)
        self.assertIn("does not carry financial", response.json()["message"])

    def test_steward_assigns_a_label_by_hand(self):
        response = self.set_label("assigned", classification="internal")
        self.assertEqual(response.status_code, 200)
        keys = [c["classification"] for c in response.json()["classifications"]]
        self.assertEqual(keys, ["internal", "pii.direct"])

    def test_who_may_read_and_set_labels(self):
        self.assertEqual(self.as_(None).get(LABELS_URL, {"field": self.ref}).status_code, 401)
        self.assertEqual(self.as_(self.outsider).get(LABELS_URL, {"field": self.ref}).status_code,
                         404)  # fmt: skip
        self.labels(self.consumer)
        for user in (self.engineer, self.consumer, self.vendor):
            self.assertEqual(self.set_label("confirmed", user=user).status_code, 403)
        self.assertEqual(self.set_label("confirmed", user=self.committee).status_code, 200)

    def test_bad_field_reference_is_a_400_and_unknown_field_a_404(self):
        response = self.as_(self.steward).get(LABELS_URL, {"field": "no-colon"})
        self.assertEqual(response.status_code, 400)
        response = self.as_(self.steward).get(LABELS_URL, {"field": "crm:public.contacts.nope"})
        self.assertEqual(response.status_code, 404)


class LineageChangeTests(ConsultTestCase):
    def test_propagation_is_recomputed_on_the_next_request_after_new_lineage(self):
        from core.audit import Actor
        from lineage.models import EtlJob
        from lineage.services import submit_sql

        ref = "cdp:cdp.customer_profile.segment"
        self.assertEqual(self.decide(ref)["classifications"], [])
        job = EtlJob.objects.get(key="build_profile")
        submit_sql(
            Actor(self.engineer, reason="test"),
            job,
            "INSERT INTO cdp.customer_profile (segment) SELECT c.email FROM public.contacts c",
        )
        d = self.decide(ref)  # no snapshot reset: the catalog version moved
        self.assertEqual(d["classifications"], ["pii.direct"])
        self.assertIn("masking_required", self.codes(d))

    def test_failed_sql_keeps_the_last_edges_but_makes_the_field_untrusted(self):
        from core.audit import Actor
        from lineage.models import EtlJob
        from lineage.services import submit_sql

        ref = "dw:dw.customer_dim.email"
        self.assertNotIn("upstream_unapproved", self.codes(self.decide(ref)))
        submit_sql(Actor(self.engineer), EtlJob.objects.get(key="load_dim"), "INSERT INTO (;")
        d = self.decide(ref)
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(d["classifications"], ["pii.direct"])  # the old edge still propagates
        reason = next(r for r in d["reasons"] if r["code"] == "upstream_unapproved")
        self.assertIn("load_dim", reason["message"])


class EntriesInChunksTests(ConsultTestCase):
    """A worker computes the entries of a large consult a few hundred at a time
    (CONSULT_BUILD_CHUNK); each entry is the one computed with every other field at once."""

    def test_one_at_a_time_equals_all_at_once(self):
        from catalog.models import Field
        from consult.snapshot import build_entries, get_snapshot

        ids = list(Field.objects.order_by("pk").values_list("pk", flat=True))
        propagating = get_snapshot().propagating
        self.assertTrue(propagating)
        together = build_entries(ids, propagating)
        alone = [e for i in ids for e in build_entries([i], propagating)]
        self.assertEqual(together, alone)
        # Labels inherited along lineage and untrusted upstream are there to compare.
        self.assertTrue(any(label.path for e in together for label in e.labels.values()))
        self.assertTrue(any(e.untrusted for e in together))

    def test_a_consult_larger_than_a_chunk(self):
        from consult import snapshot

        refs = field_refs_of_world()
        expected = self.consult(refs).json()["decisions"]
        snapshot.clear()
        with override_settings(CONSULT_BUILD_CHUNK=2):
            response = self.consult(refs)
        self.assertEqual(response.json()["decisions"], expected)
        self.assertEqual(snapshot.get_snapshot().loaded, len(set(refs)))


def field_refs_of_world() -> list[str]:
    from catalog.models import Field

    return [f.ref for f in Field.objects.select_related("dataset__system").order_by("pk")]
