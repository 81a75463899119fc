"""Consult by query: every column a SELECT reads is decided as POST /api/v1/consult/ decides
it (and logged), obligations land on the output columns they concern, one verdict."""

from __future__ import annotations

from django.test import override_settings

from catalog.models import Dataset, SourceSystem
from consult.models import DecisionLog
from tests.consult.helpers import CONSULT_URL, ConsultTestCase, deny

QUERY_URL = "/api/v1/consult/query/"
EMAIL = "crm:public.contacts.email"
MEMBER_ID = "pos:sales.transactions.member_id"


class ConsultQueryTestCase(ConsultTestCase):
    def ask(self, sql, purpose="profile_unification", user=None, **extra):
        return self.as_(user or self.consumer).post(
            QUERY_URL, {"purpose": purpose, "sql": sql, **extra}, format="json"
        )

    def answer(self, sql, purpose="profile_unification", **extra) -> dict:
        response = self.ask(sql, purpose, **extra)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def decision(self, body: dict, ref: str) -> dict:
        return next(d for d in body["decisions"] if d["field"] == ref)

    def output(self, body: dict, column: str) -> dict:
        return next(o for o in body["outputs"] if o["column"] == column)


class ReasonCodeTests(ConsultQueryTestCase):
    def test_a_column_of_a_table_the_catalog_does_not_know_is_denied_as_unregistered(self):
        body = self.answer("SELECT shoe_size FROM public.shoes")
        self.assertEqual(body["verdict"], "deny")
        self.assertEqual(body["tables"], [{"table": "public.shoes", "dataset": None}])
        d = self.decision(body, "public.shoes.shoe_size")
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["unregistered_field"]))

    def test_a_column_the_catalog_does_not_list_is_denied_as_unregistered(self):
        body = self.answer("SELECT shoe_size FROM public.contacts")
        d = self.decision(body, "crm:public.contacts.shoe_size")
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["unregistered_field"]))

    def test_a_column_without_an_approved_definition_is_denied(self):
        body = self.answer("SELECT postcode FROM public.contacts")
        d = self.decision(body, "crm:public.contacts.postcode")
        self.assertEqual(d["decision"], "deny")
        self.assertEqual(self.codes(d)[0], "no_approved_definition")
        self.assertEqual(body["verdict"], "deny")

    def test_a_column_with_a_deprecated_definition_is_denied(self):
        d = self.decision(
            self.answer("SELECT birth_date FROM public.contacts"), "crm:public.contacts.birth_date"
        )
        self.assertEqual(self.codes(d)[0], "definition_deprecated")
        self.assertEqual(d["reasons"][0]["replacement"], "customer_birth_date")

    def test_no_policy_for_the_purpose_denies_the_query(self):
        body = self.answer("SELECT member_id FROM sales.transactions", purpose="analytics")
        self.assertEqual(self.codes(self.decision(body, MEMBER_ID)), ["no_policy"])
        self.assertEqual(body["verdict"], "deny")

    def test_a_deny_policy_denies_the_query(self):
        p = deny(self.consumer, "field", MEMBER_ID)
        body = self.answer("SELECT member_id FROM sales.transactions")
        d = self.decision(body, MEMBER_ID)
        self.assertEqual((d["decision"], self.codes(d)), ("deny", ["policy_denied"]))
        self.assertEqual(d["reasons"][0]["policy"], p.pk)
        self.assertEqual(self.output(body, "member_id")["decision"], "deny")

    def test_an_allowed_column_allows_the_query(self):
        body = self.answer("SELECT member_id AS member FROM sales.transactions")
        self.assertEqual(body["verdict"], "allow")
        self.assertEqual(self.codes(self.decision(body, MEMBER_ID)), ["policy_allowed"])
        self.assertEqual(
            body["outputs"],
            [
                {
                    "column": "member",
                    "sources": [{"field": MEMBER_ID, "type": "DIRECT", "subtype": "IDENTITY"}],
                    "obligations": [],
                    "satisfied": [],
                    "decision": "allow",
                }
            ],
        )
        self.assertEqual(
            body["tables"], [{"table": "sales.transactions", "dataset": "pos:sales.transactions"}]
        )

    def test_an_untrusted_upstream_denies_the_query(self):
        body = self.answer("SELECT segment FROM cdp.customer_profile")
        reason = next(
            r
            for r in self.decision(body, "cdp:cdp.customer_profile.segment")["reasons"]
            if r["code"] == "upstream_unapproved"
        )
        self.assertEqual(reason["fields"], ["crm:public.contacts.postcode"])
        self.assertEqual(body["verdict"], "deny")

    def test_masking_lands_on_the_output_column_fed_by_the_pii_field(self):
        body = self.answer(
            "SELECT c.email AS contact, t.member_id FROM public.contacts c "
            "JOIN sales.transactions t ON t.member_id = c.phone"
        )
        d = self.decision(body, EMAIL)
        self.assertEqual(self.codes(d), ["policy_allowed", "masking_required"])
        self.assertEqual(body["verdict"], "allow_with_obligations")
        contact = self.output(body, "contact")
        self.assertEqual(contact["obligations"], [{"type": "mask", "method": "sha256"}])
        self.assertEqual(contact["decision"], "allow_with_obligations")
        self.assertIn({"field": EMAIL, "type": "DIRECT", "subtype": "IDENTITY"}, contact["sources"])
        # member_id carries none of email's obligations: it is not fed by it.
        member = self.output(body, "member_id")
        self.assertEqual((member["obligations"], member["decision"]), ([], "allow"))


class MaskedByTheQueryTests(ConsultQueryTestCase):
    SHA256 = {"type": "mask", "method": "sha256"}

    def test_a_query_that_hashes_the_column_with_sha256_meets_the_mask_obligation(self):
        for expression in ("sha256(email)", "encode(digest(email, 'sha256'), 'hex')"):
            with self.subTest(expression):
                body = self.answer(f"SELECT {expression} AS email_hash FROM public.contacts")
                hashed = self.output(body, "email_hash")
                self.assertEqual(hashed["satisfied"], [self.SHA256])
                self.assertEqual((hashed["obligations"], hashed["decision"]), ([], "allow"))
                self.assertEqual(body["verdict"], "allow")
                # The field's own decision still says what it requires.
                self.assertEqual(self.decision(body, EMAIL)["obligations"], [self.SHA256])

    def test_another_hash_or_a_raw_use_elsewhere_leaves_the_obligation(self):
        for sql in (
            "SELECT md5(email) AS email_hash FROM public.contacts",
            "SELECT sha512(email) AS email_hash FROM public.contacts",
            "SELECT sha256(md5(email)) AS email_hash FROM public.contacts",
            "SELECT sha256(email) AS email_hash FROM public.contacts WHERE email LIKE '%@x.tw'",
        ):
            with self.subTest(sql):
                body = self.answer(sql)
                hashed = self.output(body, "email_hash")
                self.assertEqual((hashed["satisfied"], hashed["obligations"]), ([], [self.SHA256]))
                self.assertEqual(body["verdict"], "allow_with_obligations")


class IndirectReadTests(ConsultQueryTestCase):
    def test_a_column_read_only_in_where_is_decided_and_denies_the_query(self):
        body = self.answer(
            "SELECT member_id FROM sales.transactions t JOIN public.contacts c "
            "ON c.phone = t.member_id WHERE c.postcode = '100'"
        )
        refs = {d["field"] for d in body["decisions"]}
        self.assertEqual(
            refs,
            {MEMBER_ID, "crm:public.contacts.phone", "crm:public.contacts.postcode"},
        )
        self.assertEqual(body["verdict"], "deny")
        member = self.output(body, "member_id")
        self.assertIn(
            {"field": "crm:public.contacts.postcode", "type": "INDIRECT", "subtype": "FILTER"},
            member["sources"],
        )
        self.assertIn(
            {"field": "crm:public.contacts.phone", "type": "INDIRECT", "subtype": "JOIN"},
            member["sources"],
        )
        self.assertEqual((member["decision"], member["obligations"]), ("deny", []))

    def test_a_join_on_an_unknown_table_is_denied_by_its_unregistered_columns(self):
        body = self.answer(
            "SELECT t.member_id FROM sales.transactions t JOIN loyalty.cards k "
            "ON k.member_id = t.member_id"
        )
        d = self.decision(body, "loyalty.cards.member_id")
        self.assertEqual(self.codes(d), ["unregistered_field"])
        self.assertEqual(body["verdict"], "deny")

    def test_an_unknown_table_no_column_of_which_is_traced_is_still_denied(self):
        body = self.answer("SELECT 1 AS one FROM loyalty.cards")
        self.assertEqual([d["field"] for d in body["decisions"]], ["loyalty.cards.*"])
        self.assertEqual(self.codes(body["decisions"][0]), ["unregistered_field"])
        self.assertEqual(body["verdict"], "deny")


class NamesAndStarTests(ConsultQueryTestCase):
    def test_star_expands_to_every_catalog_column_of_the_table(self):
        body = self.answer("SELECT * FROM sales.transactions")
        self.assertEqual(
            [d["field"] for d in body["decisions"]],
            ["pos:sales.transactions.amount", MEMBER_ID],
        )
        self.assertEqual([o["column"] for o in body["outputs"]], ["amount", "member_id"])

    def test_a_table_written_with_its_system_resolves_to_that_system(self):
        body = self.answer("SELECT email FROM crm.public.contacts")
        self.assertEqual(
            body["tables"], [{"table": "crm.public.contacts", "dataset": "crm:public.contacts"}]
        )
        self.assertEqual([d["field"] for d in body["decisions"]], [EMAIL])

    def test_count_star_of_a_known_table_reads_no_column(self):
        body = self.answer("SELECT count(*) AS n FROM sales.transactions")
        self.assertEqual((body["decisions"], body["verdict"]), ([], "allow"))

    def test_a_removed_dataset_does_not_make_a_name_ambiguous(self):
        crm = SourceSystem.objects.get(key="crm")
        Dataset.objects.create(system=crm, name="dw.customer_dim", status="removed")
        body = self.answer("SELECT email FROM dw.customer_dim")
        self.assertEqual([d["field"] for d in body["decisions"]], ["dw:dw.customer_dim.email"])

    def test_a_table_name_several_systems_hold_is_a_400_naming_them(self):
        self.answer("SELECT email FROM dw.customer_dim")  # one system: fine
        Dataset.objects.create(system=SourceSystem.objects.get(key="crm"), name="dw.customer_dim")
        response = self.ask("SELECT email\nFROM dw.customer_dim")
        self.assertEqual(response.status_code, 400, response.content)
        error = response.json()["errors"][0]
        self.assertEqual((error["line"], error["column"]), (2, 6))
        self.assertIn("crm, dw", error["message"])


class BadQueryTests(ConsultQueryTestCase):
    def test_sql_that_does_not_parse_is_a_400_naming_line_and_column(self):
        response = self.ask("SELECT email\nFROM public.contacts WHERE (")
        self.assertEqual(response.status_code, 400, response.content)
        error = response.json()["errors"][0]
        self.assertEqual((error["path"], error["line"]), ("sql", 2))
        self.assertIsInstance(error["column"], int)
        self.assertIn("line 2", response.json()["message"])

    def test_a_statement_that_writes_is_a_400(self):
        for sql in (
            "UPDATE public.contacts SET email = 'x'",
            "INSERT INTO public.contacts (email) SELECT email FROM dw.customer_dim",
            "SELECT email INTO tmp_x FROM public.contacts",
            "DELETE FROM public.contacts",
        ):
            response = self.ask(sql)
            self.assertEqual(response.status_code, 400, sql)
            self.assertIn("only queries", response.json()["message"], sql)

    def test_a_query_followed_by_another_statement_is_a_400(self):
        response = self.ask("SELECT email FROM public.contacts; DROP TABLE public.contacts")
        self.assertEqual(response.status_code, 400)
        self.assertIn("one query", response.json()["message"])

    def test_an_unknown_dialect_or_purpose_or_a_blank_query_is_a_400(self):
        self.assertEqual(self.ask("SELECT 1", dialect="cobol").status_code, 400)
        self.assertEqual(self.ask("SELECT 1", purpose="nope").status_code, 400)
        self.assertEqual(self.ask("  ").status_code, 400)
        response = self.as_(self.consumer).post(
            QUERY_URL, {"purpose": "analytics", "fields": [EMAIL]}, format="json"
        )
        self.assertEqual(response.status_code, 400)

    @override_settings(LINEAGE_SQL_MAX_BYTES=100)
    def test_a_query_over_the_size_limit_is_a_413_naming_the_setting(self):
        response = self.ask("SELECT email FROM public.contacts WHERE " + " OR ".join(["1=1"] * 40))
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json()["limit"]["name"], "LINEAGE_SQL_MAX_BYTES")
        self.assertNotIn("asynchronously", response.json()["message"])

    def test_a_snowflake_query_parses_in_its_dialect(self):
        body = self.answer(
            "SELECT IFF(member_id IS NULL, 0, 1) AS known FROM sales.transactions",
            dialect="snowflake",
        )
        self.assertEqual([d["field"] for d in body["decisions"]], [MEMBER_ID])


class LoggingAndPermissionTests(ConsultQueryTestCase):
    def test_every_decision_is_logged_like_a_consult(self):
        self.answer("SELECT email, phone FROM public.contacts")
        logged = DecisionLog.objects.filter(consumer=self.consumer).order_by("id")
        self.assertEqual(
            [(r.field_ref, r.purpose) for r in logged],
            [(EMAIL, "profile_unification"), ("crm:public.contacts.phone", "profile_unification")],
        )

    def test_the_decisions_are_those_of_the_consult_endpoint(self):
        body = self.answer("SELECT email, postcode, birth_date FROM public.contacts")
        refs = [d["field"] for d in body["decisions"]]
        response = self.as_(self.consumer).post(
            CONSULT_URL, {"purpose": "profile_unification", "fields": refs}, format="json"
        )
        self.assertEqual(response.json()["decisions"], body["decisions"])

    def test_anonymous_is_a_401(self):
        body = {"purpose": "profile_unification", "sql": "SELECT 1"}
        self.assertEqual(self.as_(None).post(QUERY_URL, body, format="json").status_code, 401)

    def test_only_consumers_consult_by_query(self):
        for user in (self.committee, self.steward, self.engineer, self.vendor, self.outsider):
            self.assertEqual(self.ask("SELECT 1", user=user).status_code, 403, user)
