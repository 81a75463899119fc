"""Simultaneous votes on PostgreSQL: each counted exactly once, one decision. The review row
lock (select_for_update) is what serialises them; SQLite serialises whole transactions, so the
race cannot happen there and the test is skipped."""

from __future__ import annotations

import threading
import unittest

import pytest
from django.db import connection
from django.test import TransactionTestCase, override_settings
from rest_framework.test import APIClient

from core.audit import Actor
from governance import services
from governance.models import Review, StatusChange, Vote
from tests.governance.helpers import GROSS, open_review, review_url
from tests.personas import make_user


@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "row locks are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class ConcurrentVoteTests(TransactionTestCase):
    serialized_rollback = True  # the role groups and permissions come back after the flush

    def setUp(self):
        self.members = [make_user(f"m{i}", "committee") for i in range(4)]
        author = make_user("author", "steward")
        services.save_committee(
            Actor.system(),
            None,
            {"name": "Board", "domains": ["order"], "min_approvals": 2},
            [(m, "member") for m in self.members],
        )
        self.definition = services.create_definition(Actor(author), GROSS)
        services.definition_transition(Actor(author), self.definition, "submit")
        self.review = open_review(self.definition.pending_version)

    def vote_at_once(self, voters) -> list[int]:
        barrier = threading.Barrier(len(voters))
        codes: list[int] = []

        def vote(user):
            client = APIClient()
            client.force_authenticate(user)
            try:
                barrier.wait()
                response = client.post(review_url(self.review, "vote/"), {"choice": "approve"})
                codes.append(response.status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=vote, args=(user,)) for user in voters]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return sorted(codes)

    def assert_decided_once(self, votes: int) -> None:
        self.assertEqual(Review.objects.get(pk=self.review.pk).status, "approved")
        self.assertEqual(Vote.objects.filter(review=self.review).count(), votes)
        self.assertEqual(StatusChange.objects.filter(transition="approve").count(), 1)
        self.assertEqual(self.definition.versions.get().status, "approved")

    def test_two_members_voting_at_the_same_moment_are_both_counted_and_decide_once(self):
        self.assertEqual(self.vote_at_once(self.members[:2]), [200, 200])
        self.assert_decided_once(votes=2)

    def test_votes_racing_past_the_decision_are_refused_not_lost(self):
        codes = self.vote_at_once(self.members)
        self.assertEqual(codes, [200, 200, 409, 409])
        self.assert_decided_once(votes=2)
