"""API tokens and session login: issued by command or API, stored hashed, shown once, revocable
with effect on the very next request, expiring, and private to their owner."""

from __future__ import annotations

import datetime
import io

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.audit import Actor
from core.models import ApiToken, hash_token
from core.services import issue_token
from tests.personas import PersonaTestCase

TOKENS_URL = "/api/v1/tokens/"
PROBE_URL = "/api/v1/catalog/systems/"


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


class TokenTestCase(PersonaTestCase):
    def assert_authenticates(self, raw: str) -> None:
        self.assertEqual(token_client(raw).get(PROBE_URL).status_code, 200)

    def assert_refused(self, raw: str, message: str) -> None:
        response = token_client(raw).get(PROBE_URL)
        self.assertEqual(response.status_code, 401, response.content)
        self.assertEqual(response.json()["code"], "authentication_failed")
        self.assertIn(message, response.json()["message"])

    def issue(self, *args) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("issue_token", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()


class IssueTokenCommandTests(TokenTestCase):
    def test_create_prints_exactly_one_line_the_token_and_it_works(self):
        out, err = self.issue("cdp-unifier", "--role", "consumer", "--create")
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        self.assertEqual(err, "")
        user = get_user_model().objects.get(username="cdp-unifier")
        self.assertEqual(list(user.groups.values_list("name", flat=True)), ["consumer"])
        self.assertFalse(user.has_usable_password())
        self.assert_authenticates(lines[0])

    def test_an_existing_user_gets_a_token_without_create(self):
        out, _ = self.issue("engineer")
        self.assert_authenticates(out.strip())
        self.assertEqual(self.engineer.tokens.count(), 1)

    def test_a_missing_user_without_create_is_an_error_and_creates_nothing(self):
        with self.assertRaisesMessage(CommandError, "pass --create"):
            self.issue("ghost", "--role", "consumer")
        self.assertFalse(get_user_model().objects.filter(username="ghost").exists())
        self.assertFalse(ApiToken.objects.filter(user__username="ghost").exists())

    def test_an_unknown_role_is_an_error(self):
        with self.assertRaises(CommandError):
            self.issue("someone", "--role", "janitor", "--create")
        self.assertFalse(get_user_model().objects.filter(username="someone").exists())

    def test_role_is_added_to_an_existing_user(self):
        self.issue("outsider", "--role", "vendor")
        self.assertTrue(self.outsider.groups.filter(name="vendor").exists())

    def test_expiry_in_days_is_set_and_must_be_positive(self):
        self.issue("engineer", "--expires-days", "7")
        token = self.engineer.tokens.get()
        self.assertAlmostEqual(
            token.expires_at,
            timezone.now() + datetime.timedelta(days=7),
            delta=datetime.timedelta(minutes=1),
        )
        with self.assertRaisesMessage(CommandError, "positive"):
            self.issue("engineer", "--expires-days", "0")


class TokenStorageTests(TokenTestCase):
    def test_only_a_hash_is_stored_and_the_raw_token_is_nowhere_in_the_database(self):
        out, _ = self.issue("engineer")
        raw = out.strip()
        token = self.engineer.tokens.get()
        self.assertEqual(token.key_hash, hash_token(raw))
        self.assertEqual(token.prefix, raw[:8])
        for model in apps.get_models():
            with self.subTest(model=model._meta.label):
                for row in model.objects.values():
                    self.assertNotIn(raw, repr(row))


class TokenAuthenticationTests(TokenTestCase):
    def test_a_revoked_token_fails_on_the_very_next_request(self):
        token, raw = issue_token(Actor(self.engineer), self.engineer, name="laptop")
        client = token_client(raw)
        self.assertEqual(client.get(PROBE_URL).status_code, 200)
        response = client.post(f"{TOKENS_URL}{token.pk}/revoke/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertFalse(response.json()["is_active"])
        self.assert_refused(raw, "revoked")

    def test_revoking_twice_keeps_the_first_revocation(self):
        token, _ = issue_token(Actor(self.engineer), self.engineer)
        client = self.as_(self.engineer)
        first = client.post(f"{TOKENS_URL}{token.pk}/revoke/").json()["revoked_at"]
        second = client.post(f"{TOKENS_URL}{token.pk}/revoke/").json()["revoked_at"]
        self.assertEqual(first, second)

    def test_an_expired_token_fails(self):
        past = timezone.now() - datetime.timedelta(seconds=1)
        _, raw = issue_token(Actor(self.engineer), self.engineer, expires_at=past)
        self.assert_refused(raw, "expired")

    def test_a_token_of_an_inactive_user_fails(self):
        _, raw = issue_token(Actor(self.engineer), self.engineer)
        get_user_model().objects.filter(pk=self.engineer.pk).update(is_active=False)
        self.assert_refused(raw, "inactive")

    def test_an_unknown_token_fails(self):
        self.assert_refused("not-a-token", "Invalid token")

    def test_use_is_noted_on_the_token(self):
        token, raw = issue_token(Actor(self.engineer), self.engineer)
        self.assert_authenticates(raw)
        token.refresh_from_db()
        self.assertIsNotNone(token.last_used_at)

    def test_session_login_works_for_people(self):
        self.assertTrue(self.client.login(username="engineer", password="pw-engineer"))
        self.assertEqual(self.client.get(PROBE_URL).status_code, 200)
        self.client.logout()
        self.assertEqual(self.client.get(PROBE_URL).status_code, 401)


class TokenApiTests(TokenTestCase):
    def test_creating_a_token_returns_the_raw_token_once(self):
        client = self.as_(self.steward)
        response = client.post(TOKENS_URL, {"name": "ci"}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        raw = body["token"]
        self.assertEqual(body["prefix"], raw[:8])
        self.assertTrue(body["is_active"])
        self.assert_authenticates(raw)
        listed = client.get(TOKENS_URL)
        detail = client.get(f"{TOKENS_URL}{body['id']}/")
        for response in (listed, detail):
            self.assertEqual(response.status_code, 200)
            self.assertNotIn(raw, response.content.decode())
            self.assertNotIn('"token"', response.content.decode())

    def test_a_token_may_expire(self):
        when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
        response = self.as_(self.steward).post(TOKENS_URL, {"expires_at": when}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertIsNotNone(ApiToken.objects.get(pk=response.json()["id"]).expires_at)

    def test_bad_token_requests_are_400(self):
        yesterday = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        cases = [
            ({"expires_at": yesterday}, "expires_at"),
            ({"expires_at": "soon"}, "expires_at"),
            ({"name": "x" * 101}, "name"),
        ]
        for payload, path in cases:
            with self.subTest(payload=payload):
                response = self.as_(self.steward).post(TOKENS_URL, payload, format="json")
                self.assertEqual(response.status_code, 400, response.content)
                self.assertEqual(response.json()["errors"][0]["path"], path)
        self.assertFalse(ApiToken.objects.exists())

    def test_a_user_only_sees_its_own_tokens(self):
        mine, _ = issue_token(Actor(self.engineer), self.engineer, name="mine")
        theirs, raw = issue_token(Actor(self.steward), self.steward, name="theirs")
        client = self.as_(self.engineer)
        self.assertEqual([t["name"] for t in client.get(TOKENS_URL).json()["results"]], ["mine"])
        self.assertEqual(client.get(f"{TOKENS_URL}{mine.pk}/").status_code, 200)
        self.assertEqual(client.get(f"{TOKENS_URL}{theirs.pk}/").status_code, 404)
        self.assertEqual(client.post(f"{TOKENS_URL}{theirs.pk}/revoke/").status_code, 404)
        self.assert_authenticates(raw)

    def test_tokens_cannot_be_edited_or_deleted_only_revoked(self):
        token, _ = issue_token(Actor(self.engineer), self.engineer)
        client = self.as_(self.engineer)
        for method in ("put", "patch", "delete"):
            with self.subTest(method=method):
                response = getattr(client, method)(f"{TOKENS_URL}{token.pk}/", {"name": "x"})
                self.assertEqual(response.status_code, 405)
        self.assertTrue(ApiToken.objects.filter(pk=token.pk).exists())

    def test_anonymous_callers_cannot_list_or_create_tokens(self):
        client = self.as_(None)
        self.assertEqual(client.get(TOKENS_URL).status_code, 401)
        self.assertEqual(client.post(TOKENS_URL, {"name": "x"}).status_code, 401)
        self.assertFalse(ApiToken.objects.exists())
