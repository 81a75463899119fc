"""The people and services every test talks about, created once per test class.

committee member, steward, engineer (and a second engineer), vendor, consumer service, outsider.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient, APITestCase

from core.audit import Actor
from core.services import issue_token

PERSONAS = {
    "committee": "committee",
    "steward": "steward",
    "engineer": "engineer",
    "other_engineer": "engineer",
    "vendor": "vendor",
    "consumer": "consumer",
    "outsider": None,
}


def make_user(username: str, role: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


class PersonaTestCase(APITestCase):
    """APITestCase with the shared personas as attributes (self.steward, self.engineer, ...)."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for attr, role in PERSONAS.items():
            setattr(cls, attr, make_user(attr, role))
        cls.admin = get_user_model().objects.create_superuser(
            "admin", "admin@example.com", "pw-admin"
        )

    def client_for(self, user) -> APIClient:
        """A client that authenticates with a real API token of `user`."""
        _, raw = issue_token(Actor.system("tests"), user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        return client

    def as_(self, user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client
