"""Contract versions through the workflow: draft -> submitted -> approved -> active ->
expired or superseded, the version in force staying in force during review."""

import datetime
from unittest.mock import patch

from django.core.exceptions import ValidationError
from django.utils import timezone
from guardian.shortcuts import get_perms

from core.audit import Actor
from core.models import ChangeRecord
from governance import reports
from governance.models import Committee
from governance.workflow import IllegalTransition, NotPermitted, history, reviews_of
from tests.vendors.helpers import VendorTestCase, document, payload
from vendors import services


def submit(user, version):
    return services.version_transition(Actor(user), version, "submit")


class WorkflowTests(VendorTestCase):
    def new_version(self, **overrides):
        doc = document(self.pos_contact, datasets=[self.transactions], **overrides)
        return services.create_version(Actor(self.vendor), self.pos_contract, doc)

    def test_the_effective_version_stays_in_force_while_a_new_one_is_reviewed(self):
        v2 = submit(self.vendor, self.new_version(schedule="hourly"))
        self.pos_contract.refresh_from_db()
        self.assertEqual(self.pos_contract.effective_version, self.pos_v1)
        services.decide(Actor(self.committee), v2, "approve", "ok")
        v2.refresh_from_db()
        self.pos_v1.refresh_from_db()
        self.assertEqual((v2.status, self.pos_v1.status), ("active", "superseded"))
        self.assertEqual(self.pos_contract.effective_version, v2)

    def test_the_review_gives_each_service_level_with_its_unit(self):
        v2 = submit(self.vendor, self.new_version())
        review = reviews_of(v2).get()
        body = self.as_(self.committee).get(f"/api/v1/governance/reviews/{review.pk}/").json()
        rows = {r["label"]: r["value"] for r in body["subject"]["proposed"]}
        self.assertEqual(
            (rows["Delivery time"], rows["Availability"], rows["Maximum error rate"]),
            ("6 hours", "99.5%", "0.1%"),
        )

    def test_submitting_opens_a_review_by_the_system_owners_and_the_committee(self):
        v2 = submit(self.vendor, self.new_version())
        review = reviews_of(v2).get()
        self.assertEqual(review.committee.name, "Integration board")
        self.assertEqual(list(review.approvers.all()), [self.engineer])
        self.assertEqual(review.author, self.vendor)

    def test_a_submitted_version_is_on_the_committee_agenda_and_decided_by_its_vote(self):
        v2 = submit(self.vendor, self.new_version())
        committee = Committee.objects.get(name="Integration board")
        self.assertEqual(
            [r["summary"] for r in reports.agenda(committee)["awaiting_decision"]],
            ["integration contract pos-sales-nightly@2 (POS Systems Ltd)"],
        )
        review = reviews_of(v2).get()
        response = self.as_(self.committee).post(
            f"/api/v1/governance/reviews/{review.pk}/vote/", {"choice": "approve"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        v2.refresh_from_db()
        self.assertEqual(v2.status, "active")

    def test_a_rejected_version_leaves_the_effective_one_in_force(self):
        v2 = submit(self.vendor, self.new_version())
        services.decide(Actor(self.engineer), v2, "reject", "SLA too weak")
        v2.refresh_from_db()
        self.assertEqual(v2.status, "rejected")
        self.assertEqual(self.pos_contract.effective_version, self.pos_v1)

    def test_requested_changes_send_it_back_to_draft(self):
        v2 = submit(self.vendor, self.new_version())
        services.decide(Actor(self.committee), v2, "request_changes", "add a replay window")
        v2.refresh_from_db()
        self.assertEqual(v2.status, "draft")
        services.update_version(Actor(self.vendor), v2, {"replay_procedure": "Within 7 days."})

    def test_a_future_version_waits_approved_until_activated(self):
        start = timezone.localdate() + datetime.timedelta(days=10)
        v2 = submit(self.vendor, self.new_version(effective_from=start))
        services.decide(Actor(self.engineer), v2, "approve")
        v2.refresh_from_db()
        self.assertEqual(v2.status, "approved")
        with self.assertRaises(ValidationError) as caught:
            services.version_transition(Actor(self.engineer), v2, "activate")
        self.assertIn(start.isoformat(), caught.exception.message_dict["effective_from"][0])
        with patch("django.utils.timezone.localdate", return_value=start):
            services.version_transition(Actor(self.engineer), v2, "activate")
        v2.refresh_from_db()
        self.assertEqual(v2.status, "active")
        self.pos_v1.refresh_from_db()
        self.assertEqual((self.pos_v1.status, self.pos_v1.effective_until), ("superseded", start))

    def test_illegal_transitions_name_the_allowed_ones(self):
        with self.assertRaises(IllegalTransition) as caught:
            submit(self.vendor, self.pos_v1)
        self.assertEqual(caught.exception.allowed, ["expire"])

    def test_only_an_owner_of_an_affected_system_or_the_committee_decides(self):
        v2 = submit(self.vendor, self.new_version())
        for user in (self.vendor, self.other_engineer, self.steward):
            with self.subTest(user=user.username), self.assertRaises(NotPermitted):
                services.decide(Actor(user), v2, "approve")
        with self.assertRaises(NotPermitted):
            services.version_transition(Actor(self.vendor), self.pos_v1, "expire")

    def test_the_author_cannot_approve_their_own_version(self):
        v2 = services.create_version(
            Actor(self.engineer),
            self.pos_contract,
            document(self.pos_contact, datasets=[self.transactions]),
        )
        submit(self.steward, v2)
        with self.assertRaises(NotPermitted):
            services.decide(Actor(self.engineer), v2, "approve")

    def test_only_a_draft_can_be_edited(self):
        with self.assertRaisesMessage(Exception, "only a draft can be edited"):
            services.update_version(Actor(self.vendor), self.pos_v1, {"schedule": "hourly"})

    def test_every_transition_has_a_history_row_and_an_audit_record(self):
        rows = history(self.pos_v1)
        self.assertEqual(
            [(r.actor_name, r.transition, r.from_status, r.to_status, r.via) for r in rows],
            [
                ("vendor", "submit", "draft", "submitted", "manual"),
                ("engineer", "approve", "submitted", "approved", "review"),
                ("engineer", "activate", "approved", "active", "system"),
            ],
        )
        records = ChangeRecord.objects.filter(
            object_type="vendors.contractversion",
            object_id=str(self.pos_v1.pk),
            action="transition",
        )
        self.assertEqual(records.count(), 3)

    def test_vendor_users_read_the_datasets_their_contracts_carry_once_approved(self):
        group = self.vendor.groups.get(name="vendor:posco")
        self.assertIn("view_dataset", get_perms(group, self.transactions))
        self.assertTrue(self.vendor.has_perm("catalog.view_dataset", self.transactions))
        # A draft naming a dataset opens nothing.
        self.assertFalse(self.other_vendor.has_perm("catalog.view_field", self.email))
        services.version_transition(Actor(self.engineer), self.pos_v1, "expire", "ended")
        self.assertNotIn("view_dataset", get_perms(group, self.transactions))

    def test_a_user_belongs_to_exactly_one_vendor(self):
        with self.assertRaisesMessage(Exception, "already belongs to vendor 'posco'"):
            services.add_vendor_user(Actor.system(), self.crmco, self.vendor)


class WorkflowThroughTheApiTests(VendorTestCase):
    def test_vendor_documents_an_interface_end_to_end_and_an_owner_approves_it(self):
        vendor = self.as_(self.vendor)
        created = vendor.post(
            self.url("contracts"),
            {"vendor": "posco", "key": "pos-stock-api", "name": "POS stock levels"},
        )
        self.assertEqual(created.status_code, 201, created.content)
        body = payload("pos-stock-api", self.pos_contact.pk, mechanism="api")
        version = vendor.post(self.url("versions"), body)
        self.assertEqual(version.status_code, 201, version.content)
        self.assertEqual(version.json()["gaps"], [])
        self.assertEqual(version.json()["ref"], "pos-stock-api@1")
        url = self.url("versions", version.json()["id"])
        submitted = vendor.post(url + "submit/", {"reason": "ready"})
        self.assertEqual(submitted.json()["status"], "submitted", submitted.content)
        self.assert_error(vendor.post(url + "approve/"), 403)
        approved = self.as_(self.engineer).post(url + "approve/", {"reason": "agreed"})
        self.assertEqual(approved.status_code, 200, approved.content)
        self.assertEqual(approved.json()["status"], "active")
        rows = self.as_(self.vendor).get(url + "history/").json()
        self.assertEqual([h["to_status"] for h in rows], ["submitted", "approved", "active"])

    def test_illegal_transition_is_a_400_listing_the_allowed_ones(self):
        url = self.url("versions", self.pos_v1.pk, "submit")
        body = self.assert_error(self.as_(self.vendor).post(url), 400, code="illegal_transition")
        self.assertEqual(body["allowed"], ["expire"])

    def test_a_version_in_force_cannot_be_edited_through_the_api(self):
        url = self.url("versions", self.pos_v1.pk)
        self.assert_error(self.as_(self.vendor).patch(url, {"schedule": "x"}), 400, path="status")

    def test_draft_can_be_patched_and_deleted_by_its_vendor(self):
        client = self.as_(self.other_vendor)
        url = self.url("versions", self.crm_v1.pk)
        response = client.patch(
            url, {"schedule": "every 15 minutes", "fields": ["crm:public.contacts.email"]}
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["schedule"], "every 15 minutes")
        self.assertEqual(client.delete(url).status_code, 204)

    def test_reject_needs_a_reason(self):
        v2 = services.create_version(
            Actor(self.vendor),
            self.pos_contract,
            document(self.pos_contact, datasets=[self.transactions]),
        )
        submit(self.vendor, v2)
        url = self.url("versions", v2.pk, "reject")
        self.assert_error(self.as_(self.committee).post(url, {}), 400, path="comment")
        response = self.as_(self.committee).post(url, {"reason": "no replay procedure"})
        self.assertEqual(response.json()["status"], "rejected")


class RightsBeforeStateTests(VendorTestCase):
    def test_a_vendor_approving_its_own_draft_is_403_not_a_state_error(self):
        draft = services.create_version(
            Actor(self.vendor), self.pos_contract, document(self.pos_contact)
        )
        response = self.as_(self.vendor).post(self.url("versions", draft.pk, "approve"))
        self.assert_error(response, 403, code="permission_denied")

    def test_a_vendor_activating_its_draft_is_403_not_a_state_error(self):
        draft = services.create_version(
            Actor(self.vendor), self.pos_contract, document(self.pos_contact)
        )
        response = self.as_(self.vendor).post(self.url("versions", draft.pk, "activate"))
        self.assert_error(response, 403, code="permission_denied")
