"""Field and dataset references as users type them (`pos:sales.transactions.amount`)."""

from __future__ import annotations

from django.test import SimpleTestCase

from catalog.refs import (
    DatasetRef,
    FieldRef,
    RefError,
    format_field_ref,
    parse_dataset_ref,
    parse_field_ref,
)


class FieldRefParsingTests(SimpleTestCase):
    def assert_parses(self, text: str, system: str, dataset: str, column: str) -> None:
        self.assertEqual(parse_field_ref(text), FieldRef(system, dataset, column))

    def assert_refused(self, text, fragment: str) -> None:
        with self.assertRaises(RefError) as caught:
            parse_field_ref(text)
        self.assertIn(fragment, str(caught.exception))

    def test_the_column_is_what_follows_the_last_dot(self):
        self.assert_parses("pos:sales.transactions.amount", "pos", "sales.transactions", "amount")

    def test_a_dataset_name_may_hold_several_dots(self):
        self.assert_parses("dw:db.mart.daily.sales.total", "dw", "db.mart.daily.sales", "total")

    def test_a_dataset_without_a_schema_is_fine(self):
        self.assert_parses("crm:contacts.email", "crm", "contacts", "email")

    def test_a_quoted_column_may_hold_dots(self):
        self.assert_parses('pos:files.events."payload.id"', "pos", "files.events", "payload.id")

    def test_a_doubled_quote_inside_a_quoted_column_is_one_quote(self):
        self.assert_parses('pos:files.events."say ""hi"".x"', "pos", "files.events", 'say "hi".x')

    def test_a_quoted_column_of_only_doubled_quotes(self):
        self.assert_parses('pos:t.""""', "pos", "t", '"')

    def test_upper_case_is_normalised_everywhere(self):
        self.assert_parses("POS:Sales.Transactions.AMOUNT", "pos", "sales.transactions", "amount")
        self.assert_parses('POS:Files.Events."Payload.ID"', "pos", "files.events", "payload.id")

    def test_surrounding_whitespace_is_ignored(self):
        self.assert_parses(
            "  pos : sales.transactions . amount \n", "pos", "sales.transactions", "amount"
        )

    def test_whitespace_inside_a_quoted_column_is_kept(self):
        self.assert_parses('pos:t." a b "', "pos", "t", " a b ")

    def test_a_reference_without_a_system_is_refused(self):
        self.assert_refused("sales.transactions.amount", "expected '<system>:")
        self.assert_refused(":sales.transactions.amount", "not a valid system key")

    def test_a_bad_system_key_is_refused(self):
        for text in ("p os:t.c", "pos!:t.c", "_pos:t.c", "-pos:t.c"):
            with self.subTest(text=text):
                self.assert_refused(text, "not a valid system key")

    def test_a_reference_without_a_column_is_refused(self):
        self.assert_refused("pos:transactions", "expected '<system>:<dataset>.<column>'")

    def test_an_empty_column_is_refused(self):
        self.assert_refused("pos:sales.transactions.", "empty column")
        self.assert_refused("pos:sales.transactions.   ", "empty column")
        self.assert_refused('pos:sales.transactions.""', "empty column")

    def test_an_empty_or_malformed_dataset_is_refused(self):
        for text in ("pos:.amount", 'pos:."amount"', "pos:sales..t.amount", "pos:.t.amount"):
            with self.subTest(text=text):
                self.assert_refused(text, "no valid dataset name")

    def test_unbalanced_quotes_are_refused(self):
        for text in (
            'pos:sales.t.payload.id"',
            'pos:sales.t."payload.id',
            'pos:sales.t.payload"',
            'pos:"',
        ):
            with self.subTest(text=text), self.assertRaises(RefError):
                parse_field_ref(text)

    def test_a_quoted_column_must_follow_a_dot(self):
        self.assert_refused('pos:sales.t"amount"', "must follow '<dataset>.'")
        self.assert_refused('pos:"amount"', "must follow '<dataset>.'")

    def test_a_stray_quote_in_an_unquoted_column_is_refused(self):
        self.assert_refused('pos:sales.t.am"ount', "must be quoted whole")

    def test_only_strings_are_references(self):
        for value in (None, 42, ["pos:t.c"]):
            with self.subTest(value=value):
                self.assert_refused(value, "must be a string")

    def test_a_ref_error_is_a_value_error(self):
        self.assertTrue(issubclass(RefError, ValueError))


class FieldRefFormattingTests(SimpleTestCase):
    def test_a_plain_column_is_written_bare(self):
        self.assertEqual(
            format_field_ref("pos", "sales.transactions", "amount"), "pos:sales.transactions.amount"
        )

    def test_a_column_with_a_dot_is_quoted(self):
        self.assertEqual(
            format_field_ref("pos", "files.events", "payload.id"), 'pos:files.events."payload.id"'
        )

    def test_quotes_inside_a_column_are_doubled(self):
        self.assertEqual(format_field_ref("pos", "t", 'say "hi"'), 'pos:t."say ""hi"""')

    def test_a_column_with_outer_spaces_is_quoted(self):
        self.assertEqual(format_field_ref("pos", "t", " a "), 'pos:t." a "')

    def test_str_of_a_field_ref_is_its_formatted_form(self):
        ref = FieldRef("pos", "files.events", "payload.id")
        self.assertEqual(str(ref), 'pos:files.events."payload.id"')
        self.assertEqual(ref.dataset_ref, DatasetRef("pos", "files.events"))

    def test_every_shape_of_column_survives_a_round_trip(self):
        columns = ["amount", "payload.id", 'say "hi"', '"', " padded ", "a.b.c", "..", 'x."y"']
        datasets = ["t", "sales.transactions", "db.schema.table"]
        for dataset in datasets:
            for column in columns:
                with self.subTest(dataset=dataset, column=column):
                    text = format_field_ref("dw", dataset, column)
                    self.assertEqual(parse_field_ref(text), FieldRef("dw", dataset, column))
                    self.assertEqual(str(parse_field_ref(text)), text)


class DatasetRefTests(SimpleTestCase):
    def test_a_dataset_reference_is_system_and_name(self):
        self.assertEqual(
            parse_dataset_ref("pos:sales.transactions"), DatasetRef("pos", "sales.transactions")
        )

    def test_upper_case_and_whitespace_are_normalised(self):
        self.assertEqual(
            parse_dataset_ref(" POS : Sales.Transactions "), DatasetRef("pos", "sales.transactions")
        )

    def test_a_name_with_several_dots_is_kept_whole(self):
        self.assertEqual(parse_dataset_ref("dw:db.mart.daily"), DatasetRef("dw", "db.mart.daily"))

    def test_it_formats_back_to_what_was_typed(self):
        for text in ("pos:sales.transactions", "dw:db.mart.daily", "crm:contacts"):
            with self.subTest(text=text):
                self.assertEqual(str(parse_dataset_ref(text)), text)

    def test_bad_dataset_references_are_refused(self):
        cases = {
            "sales.transactions": "expected '<system>:",
            "Bad Key:sales": "not a valid system key",
            "pos:": "no valid dataset name",
            "pos:.sales": "no valid dataset name",
            "pos:sales.": "no valid dataset name",
            "pos:sales..t": "no valid dataset name",
        }
        for text, fragment in cases.items():
            with self.subTest(text=text):
                with self.assertRaises(RefError) as caught:
                    parse_dataset_ref(text)
                self.assertIn(fragment, str(caught.exception))
