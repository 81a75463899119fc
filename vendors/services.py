"""Operations on vendors, contracts and change notices. Each is one transaction and writes its
audit records; the API, the admin and the demo all come through here."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.utils.translation import ngettext
from guardian.models import GroupObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from catalog.models import Dataset, Field
from catalog.refs import RefError, parse_field_ref
from core.audit import Actor, record_change, record_changes, snapshot
from core.choices import ChangeAction, Role
from core.permissions import perm_name, user_can
from core.services import create_object, delete_object, update_object
from core.text import Phrase
from governance import subjects
from governance.choices import ReviewStatus
from governance.workflow import (
    MANUAL,
    REVIEW,
    SYSTEM,
    IllegalTransition,
    Transition,
    Workflow,
    cast_vote,
    check_right,
    register,
    reviews_of,
    transition,
)
from vendors import adapters
from vendors.choices import (
    Activity,
    ChangeKind,
    NoticeStatus,
    ResponseUnit,
    SlaMetric,
    Unit,
    VersionStatus,
)
from vendors.models import (
    ChangeNotice,
    ContractVersion,
    EscalationLevel,
    IntegrationContract,
    RaciAssignment,
    ServiceLevel,
    Vendor,
    VendorContact,
    VendorUser,
)
from vendors.validation import completeness_gaps, raci_errors

S = VersionStatus
IN_FORCE = (S.APPROVED, S.ACTIVE)
# What the vendor's own users may do on their vendor: read it and keep its contacts and
# contracts (which inherit these grants); the commercial terms stay internal.
VENDOR_GROUP_PERMS = ("view_vendor", "change_vendor")
INTERNAL_VENDOR_FIELDS = ("key", "contract_reference", "active_from", "active_until")


def _problems(items: list[dict]) -> ValidationError:
    by_path: dict[str, list[str]] = {}
    for item in items:
        by_path.setdefault(item["path"] or "__all__", []).append(item["message"])
    return ValidationError(by_path)


# Vendors and their people ---------------------------------------------------------------------


@transaction.atomic
def create_vendor(actor: Actor, data: dict) -> Vendor:
    vendor = create_object(actor, Vendor, data)
    group, _created = Group.objects.get_or_create(name=vendor.group_name)
    for perm in VENDOR_GROUP_PERMS:
        assign_perm(f"vendors.{perm}", group, vendor)
    return vendor


def update_vendor(actor: Actor, vendor: Vendor, data: dict) -> Vendor:
    user = actor.user_or_none
    if user is not None and not user.has_perm("vendors.change_vendor"):
        touched = [k for k in INTERNAL_VENDOR_FIELDS if k in data and data[k] != getattr(vendor, k)]
        if touched:
            raise PermissionDenied(
                f"Only the company changes a vendor's {', '.join(touched)}; "
                "ask your contract manager."
            )
    return update_object(actor, vendor, data)


def delete_vendor(actor: Actor, vendor: Vendor) -> None:
    delete_object(actor, vendor)


@transaction.atomic
def add_vendor_user(actor: Actor, vendor: Vendor, user) -> VendorUser:
    """Make `user` one of the vendor's users (a user works for exactly one vendor)."""
    current = VendorUser.objects.filter(user=user).select_related("vendor").first()
    if current is not None and current.vendor_id != vendor.pk:
        raise ValidationError(
            {
                "user": f"{user} already belongs to vendor {current.vendor.key!r}; a user works "
                "for exactly one vendor."
            }
        )
    if current is not None:
        return current
    membership = VendorUser.objects.create(user=user, vendor=vendor)
    user.groups.add(Group.objects.get_or_create(name=vendor.group_name)[0])
    user.groups.add(Group.objects.get(name=Role.VENDOR))
    record_change(actor, ChangeAction.GRANT, membership, after={"vendor": vendor.key})
    return membership


class VendorService:
    create = staticmethod(create_vendor)
    update = staticmethod(update_vendor)
    delete = staticmethod(delete_vendor)


class ContactService:
    create = staticmethod(lambda actor, data: create_object(actor, VendorContact, data))
    update = staticmethod(update_object)
    delete = staticmethod(delete_object)


# Contracts and their versions -----------------------------------------------------------------


class ContractService:
    create = staticmethod(lambda actor, data: create_object(actor, IntegrationContract, data))
    update = staticmethod(update_object)
    delete = staticmethod(delete_object)


CHILDREN = (("raci", RaciAssignment), ("slas", ServiceLevel), ("escalation", EscalationLevel))
M2M = ("datasets", "fields")


def document_of(version: ContractVersion) -> dict:
    """The version as plain data: what the validation and the audit trail see."""
    doc = snapshot(version)
    doc["datasets"] = sorted(d.ref for d in version.datasets.select_related("system"))
    doc["fields"] = sorted(f.ref for f in version.fields.select_related("dataset__system"))
    doc["raci"] = list(version.raci.values("activity", "role", "party_kind", "party"))
    doc["slas"] = [
        {**row, "target": str(row["target"])}
        for row in version.slas.values("metric", "target", "unit", "description")
    ]
    doc["escalation"] = list(
        version.escalation.values(
            "level", "contact", "internal_contact", "response_time", "response_unit"
        )
    )
    return doc


def _write_document(version: ContractVersion, doc: dict) -> None:
    """Validate and store the version's attributes and child rows (all or nothing)."""
    problems: list[dict] = []
    for key, value in doc.items():
        if key not in M2M and key not in dict(CHILDREN):
            setattr(version, key, value)
    try:
        version.full_clean(exclude=["contract", "number"], validate_constraints=False)
    except ValidationError as exc:
        problems += [{"path": k, "message": m} for k, ms in exc.message_dict.items() for m in ms]
    rows: dict[str, list] = {}
    vendor_id = version.contract.vendor_id
    for name, model in CHILDREN:
        rows[name] = []
        for index, data in enumerate(doc.get(name, [])):
            row = model(version=version, **data)
            try:
                row.full_clean(exclude=["version"])
            except ValidationError as exc:
                problems += [
                    {"path": f"{name}[{index}].{k}", "message": m}
                    for k, ms in exc.message_dict.items()
                    for m in ms
                ]
            foreign = getattr(row, "contact", None) and row.contact.vendor_id != vendor_id
            if name == "escalation" and foreign:
                problems.append(
                    {
                        "path": f"escalation[{index}].contact",
                        "message": f"{row.contact} is not a contact of this vendor.",
                    }
                )
            rows[name].append(row)
    problems += raci_errors(doc.get("raci", []))
    jobs = doc.get("lineage_jobs")
    if isinstance(jobs, list) and jobs and all(isinstance(j, str) for j in jobs):
        known = adapters.existing_job_keys(jobs)
        problems += [
            {"path": f"lineage_jobs[{index}]", "message": f"No ETL job {key!r}."}
            for index, key in enumerate(jobs)
            if key not in known
        ]
    if problems:
        raise _problems(problems)
    version.save()
    for name, model in CHILDREN:
        if name in doc:
            model.objects.filter(version=version).delete()
            model.objects.bulk_create(rows[name])
    for name in M2M:
        if name in doc:
            getattr(version, name).set(doc[name])


@transaction.atomic
def create_version(actor: Actor, contract: IntegrationContract, doc: dict) -> ContractVersion:
    """A new draft version of the contract. The version in force stays in force."""
    contract = IntegrationContract.objects.select_for_update().get(pk=contract.pk)
    last = contract.versions.aggregate(n=Max("number"))["n"] or 0
    version = ContractVersion(contract=contract, number=last + 1, author=actor.user_or_none)
    _write_document(version, doc)
    record_change(actor, ChangeAction.CREATE, version, after=document_of(version))
    return version


@transaction.atomic
def update_version(actor: Actor, version: ContractVersion, doc: dict) -> ContractVersion:
    version = ContractVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != S.DRAFT:
        raise ValidationError(
            {
                "status": f"Version {version} is {version.status}; only a draft can be edited. "
                "Create a new version instead."
            }
        )
    before = document_of(version)
    _write_document(version, doc)
    record_change(actor, ChangeAction.UPDATE, version, before=before, after=document_of(version))
    return version


def delete_version(actor: Actor, version: ContractVersion) -> None:
    if version.status != S.DRAFT:
        raise ValidationError({"status": "Only a draft version can be deleted."})
    delete_object(actor, version)


class VersionService:
    create = staticmethod(create_version)
    update = staticmethod(update_version)
    delete = staticmethod(delete_version)


def may_approve(user, version: ContractVersion) -> bool:
    """The owner of a system the interface touches, or a member of the contracts committee."""
    if user is None:
        return True  # system actors (the demo, commands) act for the company
    committee = adapters.contract_committee()
    owners = adapters.system_owners(version.source_system) | adapters.system_owners(
        version.target_system
    )
    return user.pk in {u.pk for u in owners} or bool(committee and committee.is_member(user))


class ContractWorkflow(Workflow):
    """draft -> submitted -> approved -> active -> expired | superseded, on the governance
    workflow: submitting opens a review that the owners of the affected systems may decide alone
    and the contracts committee decides under its quorum rule. A version approved for a date
    still to come waits `approved` until activated; activating supersedes the version in force."""

    model = ContractVersion
    subject_kind = "contract"
    owners_decide = True
    transitions = (
        Transition("submit", {S.DRAFT}, S.SUBMITTED, opens_review=True),
        Transition("withdraw", {S.SUBMITTED}, S.DRAFT, closes_review=True),
        Transition("approve", {S.SUBMITTED}, S.APPROVED, by=REVIEW),
        Transition("reject", {S.SUBMITTED}, S.REJECTED, by=REVIEW),
        Transition("request_changes", {S.SUBMITTED}, S.DRAFT, by=REVIEW),
        Transition("activate", {S.APPROVED}, S.ACTIVE, by=frozenset({MANUAL, SYSTEM})),
        Transition("supersede", {S.ACTIVE}, S.SUPERSEDED, by=SYSTEM),
        Transition("expire", {S.APPROVED, S.ACTIVE}, S.EXPIRED),
    )

    def summary(self, version) -> Phrase:
        return Phrase(
            N_("integration contract %(version)s (%(vendor)s)"),
            {"version": str(version), "vendor": version.contract.vendor.name},
        )

    def committee_for(self, version):
        return adapters.contract_committee()

    def approvers_for(self, version):
        return adapters.system_owners(version.source_system) | adapters.system_owners(
            version.target_system
        )

    def may(self, user, version, step) -> bool:
        if step.name in ("submit", "withdraw"):
            return user is None or user_can(user, "change", version)
        return may_approve(user, version)

    def before(self, actor, version, step, **params) -> list[str]:
        if step.name == "submit":
            gaps = completeness_gaps(document_of(version))
            if gaps:
                raise _problems(gaps)
            version.submitted_by = actor.user_or_none
            return ["submitted_by"]
        if step.name == "activate":
            today = timezone.localdate()
            starts = version.effective_from
            if starts is not None and starts > today:
                raise ValidationError(
                    {
                        "effective_from": f"Version {version} takes effect on "
                        f"{starts.isoformat()}; it cannot be activated before then."
                    }
                )
            previous = version.contract.versions.filter(status=S.ACTIVE).first()
            if previous is not None:
                # The superseded version ends where the new one starts (today, without a date).
                ends = starts or today
                if previous.effective_from is not None and ends < previous.effective_from:
                    ends = previous.effective_from
                previous.effective_until = ends
                previous.save(update_fields=["effective_until", "updated_at"])
                transition(
                    actor, previous, "supersede", via=SYSTEM, reason=f"replaced by {version}"
                )
        return []

    def after(self, actor, version, step, **params) -> None:
        starts = version.effective_from
        if step.name == "approve" and (starts is None or starts <= timezone.localdate()):
            transition(actor, version, "activate", via=SYSTEM, reason="approved; in force now")
        elif step.name in ("approve", "activate", "expire"):
            sync_catalog_access(actor, version.contract.vendor)

    def describe(self, version, cache: dict | None = None) -> dict:
        contract = version.contract
        current = contract.effective_version
        in_force = None
        if current is not None and current.pk != version.pk:
            in_force = contract_rows(current)
        fields = sorted(f.ref for f in version.fields.select_related("dataset__system"))
        replaces = (
            [
                _("version %(number)s of %(key)s, in force")
                % {"number": current.number, "key": contract.key}
            ]
            if in_force
            else []
        )
        return subjects.subject(
            "contract",
            _("Contract %(key)s v%(number)s: %(name)s (%(vendor)s)")
            % {
                "key": contract.key,
                "number": version.number,
                "name": contract.name,
                "vendor": contract.vendor.name,
            },
            contract_rows(version),
            in_force,
            fields=fields,
            replaces=replaces,
            warnings=[g["message"] for g in completeness_gaps(document_of(version))],
        )


def contract_rows(version: ContractVersion) -> list[dict]:
    """A contract version in labelled rows for a reader: names, not ids."""
    raci: dict[str, list[str]] = {}
    for row in version.raci.all():
        raci.setdefault(row.activity, []).append(f"{row.party_label} ({row.role})")
    pairs = [
        (N_("Vendor"), version.contract.vendor.name),
        (N_("Interface"), version.contract.name),
        (N_("From"), f"{version.source_system.name} ({version.source_system.key})"),
        (N_("To"), f"{version.target_system.name} ({version.target_system.key})"),
        (N_("Direction"), version.get_direction_display()),
        (N_("Mechanism"), version.get_mechanism_display()),
        (N_("Endpoint or location"), version.endpoint),
        (N_("Format"), version.data_format),
        (N_("Schedule"), version.schedule),
        (N_("Volume"), version.expected_volume),
        (N_("Datasets"), ", ".join(sorted(d.ref for d in version.datasets.select_related(
            "system")))),
        (N_("Fields"), ", ".join(sorted(f.ref for f in version.fields.select_related(
            "dataset__system")))),
        *((str(Activity(a).label), ", ".join(parties)) for a, parties in sorted(raci.items())),
        *((str(SlaMetric(s.metric).label), _target(s)) for s in version.slas.all()),
        (N_("Error detection"), version.error_detection),
        (N_("Retries"), _retries(version)),
        (N_("Quarantine"), version.quarantine),
        (N_("Replay"), version.replay_procedure),
        (N_("Who is told"), _notify(version)),
        *(
            (_("Escalation level %(n)s") % {"n": e.level}, _escalation_text(e))
            for e in version.escalation.select_related("contact")
        ),
        (N_("Schema-change notice"), _("%(n)s days") % {"n": version.schema_change_notice_days}
         if version.schema_change_notice_days is not None else ""),
        (N_("In force"), _period(version)),
    ]  # fmt: skip
    return subjects.rows(pairs)


def _target(sla) -> str:
    """An SLA's target with its unit: `99.5%`, `24 hours`."""
    if sla.unit == Unit.PERCENT:
        return f"{sla.target_text}%"
    return f"{sla.target_text} {Unit(sla.unit).label}" if sla.unit else sla.target_text


def _retries(version) -> str:
    if version.retry_attempts is None:
        return ""
    backoff = f", {version.retry_backoff}" if version.retry_backoff else ""
    attempts = ngettext("%(n)s attempt", "%(n)s attempts", version.retry_attempts) % {
        "n": version.retry_attempts
    }
    return attempts + backoff


def _notify(version) -> str:
    if not version.notify_party:
        return ""
    within = version.notify_within_minutes
    if within is None:
        return version.notify_party
    return _("%(party)s within %(minutes)s minutes") % {
        "party": version.notify_party,
        "minutes": within,
    }


def _escalation_text(level) -> str:
    n, unit, who = level.response_time, level.response_unit, level.contact_label
    if n is None:
        return who
    if unit == ResponseUnit.MINUTES:
        text = ngettext(
            "%(who)s, responds within %(n)s minute", "%(who)s, responds within %(n)s minutes", n
        )
    elif unit == ResponseUnit.HOURS:
        text = ngettext(
            "%(who)s, responds within %(n)s hour", "%(who)s, responds within %(n)s hours", n
        )
    elif unit == ResponseUnit.DAYS:
        text = ngettext(
            "%(who)s, responds within %(n)s day", "%(who)s, responds within %(n)s days", n
        )
    else:
        return who
    return text % {"who": who, "n": n}


def _period(version) -> str:
    start, end = version.effective_from, version.effective_until
    if start and end:
        return _("%(start)s to %(end)s") % {"start": start, "end": end}
    if start:
        return _("from %(start)s") % {"start": start}
    return _("until %(end)s") % {"end": end} if end else ""


register(ContractWorkflow())


def version_transition(
    actor: Actor, version: ContractVersion, name: str, reason: str = ""
) -> ContractVersion:
    """A person's transition (submit, withdraw, activate, expire)."""
    return transition(actor, version, name, reason=reason)


def decide(actor: Actor, version: ContractVersion, choice: str, reason: str = ""):
    """Vote on the version's open review (approve, reject, request_changes); an owner of an
    affected system decides alone, committee members under the committee's rule."""
    check_right(actor.user_or_none, version, choice)
    review = reviews_of(version).filter(status=ReviewStatus.OPEN).first()
    if review is None:
        raise IllegalTransition(choice, version.status, [])
    cast_vote(actor, review, choice, reason)
    return ContractVersion.objects.get(pk=version.pk)


# Catalog access for vendor users --------------------------------------------------------------


@transaction.atomic
def sync_catalog_access(actor: Actor, vendor: Vendor) -> None:
    """Give the vendor's group `view` on exactly the datasets and fields its approved or active
    contract versions carry (not their whole systems: a system grant would show every dataset).
    Drafts grant nothing, so naming a dataset in a draft does not open it."""
    group, _created = Group.objects.get_or_create(name=vendor.group_name)
    versions = ContractVersion.objects.filter(contract__vendor=vendor, status__in=IN_FORCE)
    changes = []
    for model, m2m in ((Dataset, "datasets"), (Field, "fields")):
        wanted = set(
            model.objects.filter(pk__in=versions.values(f"{m2m}__pk")).values_list("pk", flat=True)
        )
        codename = perm_name(model, "view")
        held = set(
            int(pk)
            for pk in GroupObjectPermission.objects.filter(
                group=group,
                permission__codename=codename.split(".")[1],
                permission__content_type__app_label="catalog",
            ).values_list("object_pk", flat=True)
        )
        for obj in model.objects.filter(pk__in=wanted - held):
            assign_perm(codename, group, obj)
            changes.append((ChangeAction.GRANT, obj, None, {"group": group.name, "perm": codename}))
        for obj in model.objects.filter(pk__in=held - wanted):
            remove_perm(codename, group, obj)
            grant = {"group": group.name, "perm": codename}
            changes.append((ChangeAction.REVOKE, obj, grant, None))
    record_changes(actor, changes)


# Change notices -------------------------------------------------------------------------------


def _carried_fields(version: ContractVersion | None) -> tuple[set[int], set[int]]:
    if version is None:
        return set(), set()
    return (
        set(version.fields.values_list("pk", flat=True)),
        set(version.datasets.values_list("pk", flat=True)),
    )


def _read_changes(version: ContractVersion | None, changes) -> tuple[list[dict], list[Field]]:
    """Check each announced change against the catalog and what the contract carries; return
    the changes and the existing fields they touch."""
    if not changes:
        raise _problems([{"path": "changes", "message": "List at least one change."}])
    fields, datasets = _carried_fields(version)
    carried_datasets = datasets | set(
        Field.objects.filter(pk__in=fields).values_list("dataset_id", flat=True)
    )
    problems, touched = [], []

    def problem(path: str, message: str) -> None:
        problems.append({"path": path, "message": message})

    for index, change in enumerate(changes):
        path, kind, ref = f"changes[{index}]", change["change"], change["field"]
        try:
            parsed = parse_field_ref(ref)
        except RefError as exc:
            problem(f"{path}.field", str(exc))
            continue
        found = Field.objects.select_related("dataset__system").by_ref(str(parsed)).first()
        if kind == ChangeKind.ADDED:
            if found is not None:
                problem(f"{path}.field", f"{ref} already exists.")
            elif not Dataset.objects.filter(
                pk__in=carried_datasets, system__key=parsed.system, name=parsed.dataset
            ).exists():
                problem(f"{path}.field", f"{parsed.dataset_ref} is not carried by this contract.")
        elif found is None or not (found.pk in fields or found.dataset_id in datasets):
            problem(f"{path}.field", f"{ref} is not a field this contract carries.")
        else:
            if kind == ChangeKind.RENAMED and not change.get("new_name"):
                problem(f"{path}.new_name", "A rename needs new_name.")
            if kind == ChangeKind.RETYPED and not change.get("new_type"):
                problem(f"{path}.new_type", "A retype needs new_type.")
            touched.append(found)
    if problems:
        raise _problems(problems)
    return changes, touched


def compute_impact(fields: list[Field]) -> dict:
    """What the changed fields feed: downstream fields, the jobs on the way, the definitions
    mapped to them and who consumes them (systems and policy consumers)."""
    ids = [f.pk for f in fields]
    walk = adapters.downstream(ids)
    by_id = {
        f.pk: f
        for f in Field.objects.filter(pk__in=[r["field"] for r in walk["results"]]).select_related(
            "dataset__system"
        )
    }
    downstream, jobs, systems = [], {}, {}
    for row in sorted(walk["results"], key=lambda r: (r["depth"], by_id[r["field"]].ref)):
        field_obj = by_id[row["field"]]
        downstream.append({"field": field_obj.ref, "depth": row["depth"], "jobs": row["jobs"]})
        jobs.update(dict.fromkeys(row["jobs"]))
        system = field_obj.dataset.system
        systems.setdefault(system.key, {"system": system.key, "team": system.owning_team})
    refs = [f.ref for f in fields] + [f.ref for f in by_id.values()]
    return {
        "lineage_available": walk["available"],
        "partial": walk["partial"],
        "changed_fields": [f.ref for f in fields],
        "downstream_fields": downstream,
        "jobs": list(jobs),
        "definitions": adapters.definitions_for(ids + list(by_id)),
        "consumers": list(systems.values()),
        "consult_consumers": adapters.consult_consumers_of(refs),
    }


@transaction.atomic
def file_notice(actor: Actor, contract: IntegrationContract, data: dict) -> ChangeNotice:
    """Record a schema change notice, answer with its impact and flag a short notice."""
    version = contract.effective_version or contract.versions.order_by("-number").first()
    changes, touched = _read_changes(version, data.get("changes"))
    effective = data["effective_date"]
    if effective < timezone.localdate():
        raise ValidationError(
            {
                "effective_date": f"{effective.isoformat()} is in the past: a change notice "
                "announces a change still to come."
            }
        )
    notice_days = version.schema_change_notice_days if version else None
    notice = ChangeNotice(
        contract=contract,
        version=version,
        filed_by=actor.user_or_none,
        summary=data.get("summary", ""),
        effective_date=effective,
        changes=changes,
        impact=compute_impact(touched),
        inside_notice_period=notice_days is not None
        and effective < timezone.localdate() + datetime.timedelta(days=notice_days),
    )
    notice.full_clean()
    notice.save()
    record_change(actor, ChangeAction.CREATE, notice)
    return notice


NOTICE_ANSWERERS = (
    "Only the owner of a system this interface touches, or the contracts committee, may answer "
    "its change notices."
)


@transaction.atomic
def respond_to_notice(
    actor: Actor, notice: ChangeNotice, status: str, reason: str = ""
) -> ChangeNotice:
    """The contract's owner acknowledges the notice or objects to it (with a reason)."""
    notice = ChangeNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.version is not None and not may_approve(actor.user_or_none, notice.version):
        raise PermissionDenied(NOTICE_ANSWERERS)
    if notice.status != NoticeStatus.OPEN:
        raise ValidationError({"status": f"This notice was already {notice.status}."})
    if status == NoticeStatus.OBJECTED and not reason.strip():
        raise ValidationError({"reason": "Say what the objection is."})
    before = snapshot(notice)
    notice.status = status
    notice.responded_by = actor.user_or_none
    notice.response = reason
    notice.responded_at = timezone.now()
    notice.save()
    record_change(actor, ChangeAction.TRANSITION, notice, before=before, after=snapshot(notice))
    return notice


# Questions ------------------------------------------------------------------------------------


def agenda_notices(committee=None) -> list[dict]:
    """Open change notices, for the agenda of the committee that reviews contracts."""
    if committee is not None and committee != adapters.contract_committee():
        return []
    return [
        {
            "type": "vendors.changenotice",
            "id": n.pk,
            "title": f"Schema change on {n.contract.key} from {n.effective_date}: {n.summary}",
            "url_path": f"/api/v1/vendors/notices/{n.pk}/",
            "since": n.created_at.isoformat(),
            "flags": ["inside_notice_period"] if n.inside_notice_period else [],
        }
        for n in ChangeNotice.objects.filter(status=NoticeStatus.OPEN).select_related("contract")
    ]


def agenda_versions() -> list[dict]:
    """Contract versions awaiting review (the committee agenda lists them as open reviews)."""
    return [
        {
            "type": "vendors.contractversion",
            "id": v.pk,
            "title": f"Review contract {v} ({v.contract.vendor.name})",
            "url_path": f"/api/v1/vendors/versions/{v.pk}/",
            "since": v.updated_at.isoformat(),
            "flags": [],
        }
        for v in ContractVersion.objects.filter(status=S.SUBMITTED).select_related(
            "contract__vendor"
        )
    ]


def carried_field_ids(version: ContractVersion) -> set[int]:
    fields, datasets = _carried_fields(version)
    return fields | set(Field.objects.filter(dataset_id__in=datasets).values_list("pk", flat=True))


def feeds_system(version: ContractVersion, system_key: str) -> bool:
    """True when the interface delivers into the system, directly or through lineage."""
    if version.target_system.key == system_key:
        return True
    walk = adapters.downstream(carried_field_ids(version))
    ids = [r["field"] for r in walk["results"]]
    return Field.objects.filter(pk__in=ids, dataset__system__key=system_key).exists()


def contracts_behind(field_ids: set[int], job_keys: set[str], versions) -> list[dict]:
    """The versions in force that carry one of the fields (or its dataset) or name a job."""
    dataset_ids = set(Field.objects.filter(pk__in=field_ids).values_list("dataset_id", flat=True))
    in_force = versions.filter(status__in=IN_FORCE)
    carrying = in_force.filter(Q(fields__in=field_ids) | Q(datasets__in=dataset_ids)).distinct()
    matches = {v.pk: {"version": v, "reason": "carries the field"} for v in carrying}
    for version in in_force.exclude(pk__in=matches):
        if set(version.lineage_jobs) & job_keys:
            matches[version.pk] = {"version": version, "reason": "implemented by the job"}
    return list(matches.values())
