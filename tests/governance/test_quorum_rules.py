"""The quorum rule, the attribute diff and conflict detection, as pure functions."""

from __future__ import annotations

from django.test import SimpleTestCase

from governance.conflicts import DefinitionFacts, MappingFacts, detect
from governance.diff import diff
from governance.workflow import QuorumRule, Tally, evaluate

APPROVED, REJECTED, CHANGES = "approved", "rejected", "changes_requested"


class QuorumRuleTests(SimpleTestCase):
    def test_rule_table(self):
        # (min approvals, no rejection, votes, eligible voters) -> decision
        cases = [
            (2, False, "", 3, None),
            (2, False, "a", 3, None),
            (2, False, "aa", 3, APPROVED),
            (2, False, "ar", 3, None),
            (2, False, "rr", 3, REJECTED),
            (2, False, "cc", 3, CHANGES),
            (2, False, "rc", 3, CHANGES),  # approval out of reach, someone asked for changes
            (2, False, "r", 2, REJECTED),  # out of reach with two voters
            (2, False, "ara", 3, APPROVED),
            (2, True, "ar", 3, REJECTED),
            (2, True, "aac", 3, CHANGES),
            (2, True, "c", 3, CHANGES),
            (2, True, "aa", 3, APPROVED),
            (1, False, "a", 1, APPROVED),
            (3, False, "aa", 2, REJECTED),  # a rule the committee cannot meet
        ]
        letters = {"a": "approve", "r": "reject", "c": "request_changes"}
        for minimum, no_rejection, votes, eligible, expected in cases:
            with self.subTest(rule=(minimum, no_rejection), votes=votes, eligible=eligible):
                tally = Tally.of(letters[v] for v in votes)
                self.assertEqual(
                    evaluate(QuorumRule(minimum, no_rejection), tally, eligible), expected
                )


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

    def test_no_duplicate_across_domains_types_grains_or_without_shared_names(self):
        base = amount("gross", "included", "before")
        others = [
            DefinitionFacts("x", "x", "loyalty", base.attributes),
            amount("y", "included", "before", data_type="integer"),
            amount("z", "included", "before", grain="order_line"),
            amount("w", "included", "before", synonyms=["total"]),
        ]
        for other in others:
            with self.subTest(other=other.key):
                self.assertEqual(detect([base, other], []), [])

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
