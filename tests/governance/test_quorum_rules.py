"""The quorum rule, the attribute diff and conflict detection, as pure functions."""

from __future__ import annotations

from django.test import SimpleTestCase

from governance.conflicts import DefinitionFacts, MappingFacts, detect
from governance.diff import diff
from governance.workflow import CLOSES, COUNTS, Rule, Tally, evaluate, progress

APPROVED, REJECTED, CHANGES = "approved", "rejected", "changes_requested"


class DecisionRuleTests(SimpleTestCase):
    def test_rule_table(self):
        # (min approvals, a rejection closes, a request for changes closes, votes, eligible)
        cases = [
            (2, False, False, "", 3, None),
            (2, False, False, "a", 3, None),
            (2, False, False, "aa", 3, APPROVED),
            (2, False, False, "ar", 3, None),  # the third member has not voted yet
            (2, False, False, "c", 2, None),  # one request for changes waits for the chair
            (2, False, False, "ca", 2, CHANGES),  # everyone voted, approvals not reached
            (2, False, False, "rr", 3, REJECTED),  # as many rejections as approvals needed
            (2, False, False, "rca", 3, CHANGES),  # every member voted; tie sends it back
            (3, False, False, "rrca", 4, REJECTED),  # every member voted; more rejections
            (2, False, False, "ara", 3, APPROVED),
            (2, True, False, "ar", 3, REJECTED),  # a single rejection closes it
            (2, True, False, "c", 3, None),  # ... but a request for changes counts
            (2, True, True, "ac", 3, CHANGES),  # one request for changes sends it back
            (2, True, True, "c", 3, CHANGES),
            (2, True, True, "aa", 3, APPROVED),
            (1, False, False, "a", 1, APPROVED),
        ]
        letters = {"a": "approve", "r": "reject", "c": "request_changes"}
        for minimum, reject_closes, changes_close, votes, eligible, expected in cases:
            rule = Rule(
                minimum,
                CLOSES if reject_closes else COUNTS,
                CLOSES if changes_close else COUNTS,
            )
            with self.subTest(rule=rule, votes=votes, eligible=eligible):
                tally = Tally.of(letters[v] for v in votes)
                self.assertEqual(evaluate(rule, tally, eligible), expected)

    def test_progress_says_where_a_review_stands_and_what_decides_it(self):
        rule = Rule(2, CLOSES, COUNTS)
        text = progress(rule, Tally(approve=1), ["chair"], [])
        self.assertTrue(text.startswith("1 of 2 approvals; awaiting chair."), text)
        self.assertIn("a single rejection closes it", text)
        owners = progress(Rule(2, owner_decides=True), Tally(), ["chair", "member"], ["stella"])
        self.assertIn("stella may also decide alone", owners)
        self.assertIn("the subject's owners may decide alone", owners)


class DiffTests(SimpleTestCase):
    def test_only_changed_attributes_in_the_given_order(self):
        before = {"tax": "included", "unit": "TWD", "synonyms": ["a", "b"], "name": "x"}
        after = {"tax": "excluded", "unit": "TWD", "synonyms": ["b", "c"], "name": "x"}
        changes = diff(before, after, ("name", "tax", "unit", "synonyms"))
        self.assertEqual([c["attribute"] for c in changes], ["tax", "synonyms"])
        self.assertEqual(changes[1]["added"], ["c"])
        self.assertEqual(changes[1]["removed"], ["a"])

    def test_reordered_synonyms_are_not_a_change(self):
        self.assertEqual(diff({"s": ["a", "b"]}, {"s": ["b", "a"]}, ("s",)), [])

    def test_a_missing_attribute_against_a_value(self):
        self.assertEqual(
            diff({}, {"tax": "included"}, ("tax",)),
            [{"attribute": "tax", "from": None, "to": "included"}],
        )


def amount(key, tax, discount, **extra):
    attributes = {
        "data_type": "decimal(12,2)",
        "grain": "order",
        "tax": tax,
        "discount": discount,
        "currency": "TWD",
        "synonyms": ["amount"],
    }
    attributes.update(extra)
    return DefinitionFacts(key, key.replace("_", " "), "order", attributes)


class ConflictDetectionTests(SimpleTestCase):
    def test_the_three_amounts_are_possible_duplicates_differing_in_tax_or_discount(self):
        found = detect(
            [
                amount("gross", "included", "before"),
                amount("net", "excluded", "after"),
                amount("member", "included", "after"),
            ],
            [],
        )
        pairs = {c.definitions: c.details["differing"] for c in found}
        self.assertEqual(set(pairs), {("gross", "net"), ("gross", "member"), ("member", "net")})
        self.assertEqual(set(pairs[("gross", "member")]), {"discount"})
        self.assertEqual(set(pairs[("gross", "net")]), {"tax", "discount"})

    def test_no_duplicate_without_shared_names_or_across_domain_and_grain(self):
        base = amount("gross", "included", "before")
        others = [
            DefinitionFacts("x", "x", "loyalty", {**base.attributes, "grain": "member",
                                                  "currency": "USD"}),
            amount("w", "excluded", "before", synonyms=["total"]),
        ]  # fmt: skip
        for other in others:
            with self.subTest(other=other.key):
                self.assertEqual(detect([base, other], []), [])

    def test_the_same_meaning_under_another_name_is_flagged_whatever_the_domain_or_type(self):
        net = amount("order_amount_net", "excluded", "after", synonyms=["net sales"])
        new = DefinitionFacts(
            "net_sales_amount",
            "Net sales amount",
            "finance",
            {**net.attributes, "data_type": "decimal(14,2)", "synonyms": ["net sales"]},
        )
        (conflict,) = detect([net, new], [])
        self.assertEqual(conflict.kind, "equivalent_definitions")
        self.assertEqual(conflict.definitions, ("net_sales_amount", "order_amount_net"))
        self.assertEqual(conflict.details["shared_terms"], ["net sales"])
        self.assertIn("mean the same", conflict.summary)

    def test_shared_names_across_domains_with_the_same_grain_may_be_duplicates(self):
        a = amount("a", "included", "before", synonyms=["total"])
        b = DefinitionFacts("b", "b", "finance", {**a.attributes, "tax": "excluded"})
        (conflict,) = detect([a, b], [])
        self.assertEqual((conflict.kind, conflict.details["shared_terms"]),
                         ("possible_duplicate", ["total"]))  # fmt: skip

    def test_a_customer_level_aggregate_mapped_to_an_order_definition_is_flagged(self):
        net = amount("net", "excluded", "after", synonyms=[])
        mappings = [
            MappingFacts("cdp:p.ytd", "net", {"grain": "customer"}, "summed per customer"),
            MappingFacts("dw:f.net", "net", {}, "", aggregated_from="dw:sales.amount"),
        ]
        found = {c.fields: c for c in detect([net], mappings)}
        self.assertEqual(set(found), {("cdp:p.ytd",), ("dw:f.net",)})
        self.assertEqual({c.kind for c in found.values()}, {"grain_mismatch"})
        self.assertIn("its lineage aggregates dw:sales.amount", found[("dw:f.net",)].summary)

    def test_synonym_matching_ignores_case_and_separators(self):
        a = amount("a", "included", "before", synonyms=["Gross_Sales"])
        b = amount("b", "excluded", "before", synonyms=["gross sales"])
        self.assertEqual(detect([a, b], [])[0].details["shared_terms"], ["gross sales"])

    def test_fields_mapped_to_one_definition_that_disagree(self):
        net = amount("net", "excluded", "after", synonyms=[])
        mappings = [
            MappingFacts("orders:o.amount", "net", {"tax": "excluded", "discount": "after"}),
            MappingFacts("membership:l.amount", "net", {"tax": "included", "discount": "after"}),
        ]
        (conflict,) = detect([net], mappings)
        self.assertEqual(conflict.kind, "mapping_disagreement")
        self.assertEqual(conflict.details["attribute"], "tax")
        self.assertEqual(conflict.fields, ("membership:l.amount", "orders:o.amount"))
        self.assertIn("membership:l.amount says included", conflict.summary)

    def test_a_conversion_note_explains_a_difference(self):
        net = amount("net", "excluded", "after", synonyms=[])
        mappings = [MappingFacts("pos:t.amount", "net", {"tax": "included"}, "net = x / 1.05")]
        self.assertEqual(detect([net], mappings), [])

    def test_agreeing_fields_are_no_conflict_and_fingerprints_are_stable(self):
        net = amount("net", "excluded", "after", synonyms=[])
        agree = [MappingFacts("a:b.c", "net", {"tax": "excluded"})]
        self.assertEqual(detect([net], agree), [])
        disagree = [MappingFacts("a:b.c", "net", {"tax": "included"})]
        self.assertEqual(
            detect([net], disagree)[0].fingerprint, detect([net], disagree)[0].fingerprint
        )
