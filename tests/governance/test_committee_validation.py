"""Malformed member rows are 400s on PATCH as on POST."""

from __future__ import annotations

from tests.governance.helpers import (
    API,
    COMMITTEES_URL,
    GovernanceTestCase,
)

OWNERSHIPS_URL = API + "ownerships/"
CONFLICTS_URL = API + "conflicts/"
KPIS_URL = API + "kpis/"


class CommitteePatchValidationTests(GovernanceTestCase):
    def test_a_member_row_without_its_user_is_a_400_on_patch_as_on_post(self):
        url = f"{COMMITTEES_URL}{self.board.pk}/"
        client = self.as_(self.admin)
        for members in ([{"a": 1}], [{"role": "chair"}]):
            with self.subTest(members=members):
                body = self.assert_error(
                    client.patch(url, {"members": members}, format="json"), 400
                )
                self.assertIn("members[0].user", [e["path"] for e in body["errors"]])
                post = client.post(
                    COMMITTEES_URL, {"name": "New", "members": members}, format="json"
                )
                self.assert_error(post, 400)
        self.assertEqual(self.board.memberships.count(), 3)
