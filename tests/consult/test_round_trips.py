"""A consult with a token makes two round trips to the database: one query for the token, the
caller's groups and right to consult and the catalog version, and the log's insert. Nothing
is cached between requests: a role taken away or a token revoked counts on the very next
consult."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from consult import services
from consult.models import DecisionLog
from core.audit import Actor, current_catalog_version
from core.authentication import HashedTokenAuthentication
from core.services import issue_token, revoke_token
from tests.consult.helpers import CONSULT_URL, ConsultTestCase
from tests.personas import make_user

BODY = {"purpose": "profile_unification", "fields": ["pos:sales.transactions.member_id"]}


class RoundTripTests(ConsultTestCase):
    def token_for(self, user) -> tuple:
        row, raw = issue_token(Actor.system("tests"), user)
        return row, raw

    def post(self, raw: str, body=BODY):
        return self.client.post(CONSULT_URL, body, format="json", HTTP_AUTHORIZATION=f"Token {raw}")

    def test_a_one_field_consult_makes_two_statements(self):
        _, raw = self.token_for(self.consumer)
        self.assertEqual(self.post(raw).status_code, 200)  # stamps last_used_at once
        with CaptureQueriesContext(connection) as queries:
            response = self.post(raw)
        self.assertEqual(response.status_code, 200, response.content)
        statements = [q["sql"] for q in queries.captured_queries]
        self.assertEqual(len(statements), 2, "\n".join(statements))
        self.assertIn("core_apitoken", statements[0])
        self.assertIn("consult_decisionlog", statements[1])
        self.assertEqual(DecisionLog.objects.count(), 2)

    def test_the_token_query_reads_what_the_separate_queries_read(self):
        direct = make_user("direct")
        direct.user_permissions.add(Permission.objects.get(codename="consult_fields"))
        two_groups = make_user("two_groups", "consumer")
        two_groups.groups.add(Group.objects.get(name="engineer"))
        inactive = make_user("inactive", "consumer", is_active=False)
        users = [
            self.consumer, self.committee, self.steward, self.engineer, self.vendor,
            self.outsider, self.admin, direct, two_groups, inactive,
        ]  # fmt: skip
        authentication = HashedTokenAuthentication(grants_of="consult.consult_fields")
        for user in users:
            with self.subTest(user=user.username):
                _, raw = self.token_for(user)
                request = APIRequestFactory().post(CONSULT_URL, HTTP_AUTHORIZATION=f"Token {raw}")
                if not user.is_active:
                    with self.assertRaises(AuthenticationFailed):
                        authentication.authenticate(request)
                    continue
                found, token = authentication.authenticate(request)
                self.assertEqual(token.grants.catalog_version, current_catalog_version())
                self.assertEqual(services.caller(found, grants=token.grants), services.caller(user))

    def test_a_role_taken_away_refuses_the_very_next_consult(self):
        _, raw = self.token_for(self.consumer)
        self.assertEqual(self.post(raw).status_code, 200)
        self.consumer.groups.remove(Group.objects.get(name="consumer"))
        self.assertEqual(self.post(raw).status_code, 403)

    def test_a_revoked_token_refuses_the_very_next_consult(self):
        row, raw = self.token_for(self.consumer)
        self.assertEqual(self.post(raw).status_code, 200)
        revoke_token(Actor.system("tests"), row)
        self.assertEqual(self.post(raw).status_code, 401)
