"""The compiled decision snapshot: policies, definitions, classifications (with propagation)
and upstream trust, in plain dicts, built once per catalog version per process.

`get_snapshot()` compares the stored catalog version on every call (one indexed read), so a
revoked policy or a new definition changes the next decision; there is no TTL. Decisions are
pure functions of the snapshot, the caller's subjects, the purpose and the time; they are
memoised per snapshot until the next policy validity boundary."""

from __future__ import annotations

import gc
import math
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from catalog.choices import Status
from catalog.models import Field
from catalog.refs import RefError, format_field_ref, parse_field_ref
from consult import adapters, policy
from consult.adapters import DefinitionInfo
from consult.choices import ClassificationState, Decision, PolicyStatus, ReasonCode
from consult.models import (
    AccessPolicy,
    Classification,
    DefinitionClassification,
    FieldClassification,
    Purpose,
)
from consult.policy import Rule
from consult.propagation import (
    downstream_adjacency,
    propagate,
    untrusted_upstream,
    upstream_adjacency,
)
from core.audit import current_catalog_version
from core.models import ChangeRecord

APPROVED = {"approved", "needs_review"}
DEPRECATED = "deprecated"
MEMO_LIMIT = 500_000


@dataclass(frozen=True, slots=True)
class Label:
    """One classification on one field and how it got there."""

    source: str  # assigned, confirmed, definition or propagated
    path: tuple[int, ...] = ()
    via_aggregation: bool = False


@dataclass(slots=True)
class FieldEntry:
    id: int
    ref: str
    registered: bool
    resources: tuple[tuple[str, str], ...]  # (kind, key) a policy may name, minus classifications
    definition: DefinitionInfo | None = None
    definition_json: dict | None = None
    owners: list = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)
    blockers: list = field(default_factory=list)  # reasons that deny whatever the policies say
    # Filled once labels are final: every (kind, key) a policy may name for this field, and the
    # labels in order. The decision path reads them instead of rebuilding them per call.
    keys: tuple[tuple[str, str], ...] = ()
    label_list: list[str] = field(default_factory=list)


class Outcome(NamedTuple):
    """A decision as the consult response shows it, and what the decision log keeps."""

    result: dict
    policy_ids: tuple[int, ...]
    expires: float  # the next policy validity boundary: the memo holds until then
    field_ref: str  # canonical reference
    field_id: int | None


# Plain strings on the hot path: an enum's `.value` costs a descriptor call per decision.
_DENY = Decision.DENY.value
_ALLOW = Decision.ALLOW.value
_ALLOW_WITH_OBLIGATIONS = Decision.ALLOW_WITH_OBLIGATIONS.value


def reason(code: str, message: str, decisive: bool = True, **extra) -> dict:
    """One reason of a decision; `decisive` when it decided the outcome (a deny, an allow, its
    obligations), false when the outcome stands without it (an allow that something else
    overrules, an upstream only warned about)."""
    return {"code": code, "message": message, "decisive": decisive, **extra}


def _deny_unregistered(ref: str) -> dict:
    return {
        "field": ref,
        "decision": Decision.DENY.value,
        "obligations": [],
        "reasons": [
            reason(
                ReasonCode.UNREGISTERED_FIELD,
                f"{ref} is not a registered field of the catalog.",
            )
        ],
        "definition": None,
        "classifications": [],
        "owners": [],
    }


class Snapshot:
    def __init__(
        self,
        version: int,
        fields: dict[int, FieldEntry],
        rules: list[Rule],
        obligations: dict[str, list[dict]],
        upstream: dict,
    ) -> None:
        self.version = version
        self.by_id = fields
        self.by_ref = {e.ref: e for e in fields.values()}
        self.obligations = obligations
        self.upstream = upstream
        self.rules = rules
        self.purposes: set[str] = set()
        self.windows = False  # does any policy have a validity window?
        # subject ("u:<user id>" or "g:<group id>") -> (kind, key) -> rules
        self.index: dict[str, dict[tuple[str, str], list[Rule]]] = {}
        self._upstream_memo: dict[int, list] = {}
        self._memo: dict[tuple, Outcome] = {}
        self._maps: dict[tuple[str, ...], list] = {}  # subjects -> their rule indexes
        self.deidentifying = False  # does any rule drop labels that came by aggregation?

    def with_rules(self, version: int) -> Snapshot:
        """A snapshot at `version` sharing this one's fields, labels and lineage, with the
        policies and purposes read again (for a change that touched nothing else)."""
        snap = Snapshot(version, self.by_id, [], self.obligations, self.upstream)
        snap.by_ref = self.by_ref
        snap._upstream_memo = self._upstream_memo
        load_rules(snap)
        return snap

    def add_rule(self, subject: str, rule: Rule) -> None:
        self.index.setdefault(subject, {}).setdefault((rule.kind, rule.key), []).append(rule)
        self.deidentifying = self.deidentifying or rule.aggregation_deidentifies

    # Look-ups -----------------------------------------------------------------------------------

    def entry(self, ref: str) -> FieldEntry | None:
        entry = self.by_ref.get(ref)
        if entry is None:
            try:
                entry = self.by_ref.get(str(parse_field_ref(ref)))
            except RefError:
                return None
        return entry

    def untrusted(self, entry: FieldEntry) -> list[tuple[str, str]]:
        found = self._upstream_memo.get(entry.id)
        if found is None:
            found = [
                (self.by_id[f].ref if f in self.by_id else f"field #{f}", why)
                for f, why in untrusted_upstream(self.upstream, entry.id, self._problem)
            ]
            self._upstream_memo[entry.id] = found
        return found

    def _problem(self, field_id: int) -> str | None:
        upstream = self.by_id.get(field_id)
        if upstream is None or not upstream.registered:
            return "not registered (discovered in lineage only)"
        if upstream.definition is None or upstream.definition.status not in APPROVED:
            return "no approved definition"
        return None

    # Decisions ----------------------------------------------------------------------------------

    def decide(self, subjects: tuple[str, ...], purpose: str, ref: str, now: float) -> Outcome:
        key = (subjects, purpose, ref)
        hit = self._memo.get(key)
        if hit is not None and now < hit.expires:
            return hit
        outcome = self.evaluate(subjects, purpose, ref, now)
        if len(self._memo) >= MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = outcome
        return outcome

    def evaluate(self, subjects: tuple[str, ...], purpose: str, ref: str, now: float) -> Outcome:
        """The decision for `subjects` (the caller and its groups), without the memo."""
        entry = self.entry(ref)
        if entry is None or not entry.registered:
            return Outcome(_deny_unregistered(ref), (), math.inf, ref, None)
        maps = self._maps.get(subjects)
        if maps is None:
            maps = self._maps[subjects] = [self.index[s] for s in subjects if s in self.index]
        labels, label_list = entry.labels, entry.label_list
        if not self.deidentifying:
            candidates = [r for m in maps for k in entry.keys for r in m.get(k, ())]
            active = [r for r in candidates if r.applies(purpose, now)]
        else:
            candidates = [r for m in maps for rk in entry.resources for r in m.get(rk, ())]
            active = [r for r in candidates if r.applies(purpose, now)]
            if any(r.aggregation_deidentifies and r.effect == "allow" for r in active):
                labels = {k: v for k, v in labels.items() if not v.via_aggregation}
                label_list = sorted(labels)
            for m in maps:
                for c in labels:
                    for r in m.get(("classification", c), ()):
                        candidates.append(r)
                        if r.applies(purpose, now):
                            active.append(r)
        effect, deciding = policy.decide(active)
        untrusted = self.untrusted(entry)
        warn = bool(untrusted) and effect == "allow" and all(r.upstream_warn for r in deciding)
        # Whatever denies on its own decides a deny, and an allowing policy is then overruled.
        blocked = bool(entry.blockers) or effect != "allow" or (bool(untrusted) and not warn)

        reasons = list(entry.blockers)
        if effect is None:
            reasons.append(
                reason(
                    ReasonCode.NO_POLICY,
                    f"No approved policy lets this consumer use {entry.ref} for {purpose!r}.",
                )
            )
        elif effect == "allow" and blocked:
            reasons.extend(r.overruled for r in deciding)
        else:
            reasons.extend(r.reason for r in deciding)
        if untrusted:
            names = ", ".join(f"{ref} ({why})" for ref, why in untrusted)
            reasons.append(
                reason(
                    ReasonCode.UPSTREAM_UNAPPROVED,
                    f"Untrusted upstream: {names}."
                    + (" Allowed as a warning by policy." if warn else ""),
                    decisive=not warn,
                    fields=[ref for ref, _ in untrusted],
                    **({"warning": True} if warn else {}),
                )
            )

        obligations: list[dict] = []
        if not blocked:
            for r in deciding:
                _add_obligations(obligations, reasons, r.obligations, r.label)
            for c in label_list:
                _add_obligations(obligations, reasons, self.obligations.get(c, ()), c)
        decision = _DENY if blocked else _ALLOW_WITH_OBLIGATIONS if obligations else _ALLOW
        result = {
            "field": ref,
            "decision": decision,
            "obligations": obligations,
            "reasons": reasons,
            "definition": entry.definition_json,
            "classifications": list(label_list),
            "owners": entry.owners,
        }
        ids = tuple(r.id for r in deciding)
        expires = _next_boundary(candidates, now) if self.windows else math.inf
        return Outcome(result, ids, expires, entry.ref, entry.id)


def _add_obligations(out: list, reasons: list, obligations, source: str) -> None:
    for ob in obligations:
        if ob in out:
            continue
        out.append(ob)
        if ob["type"] == "mask":
            reasons.append(
                reason(ReasonCode.MASKING_REQUIRED, f"{source} requires masking ({ob['method']}).")
            )
        else:
            reasons.append(reason(ReasonCode.OBLIGATION, f"{source} requires {ob['type']}."))


def _next_boundary(rules, now: float) -> float:
    times = [t for r in rules for t in (r.valid_from, r.valid_until) if t is not None and t > now]
    return min(times, default=math.inf)


# Building it ----------------------------------------------------------------------------------


def _definition_json(d: DefinitionInfo | None) -> dict | None:
    if d is None:
        return None
    return {"key": d.key, "version": d.version, "status": d.status, "attributes": d.attributes}


def _blockers(ref: str, d: DefinitionInfo | None) -> list[dict]:
    if d is None or d.status not in APPROVED | {DEPRECATED}:
        return [reason(ReasonCode.NO_APPROVED_DEFINITION, f"{ref} has no approved definition.")]
    if d.status == DEPRECATED:
        instead = f"; use {d.replacement!r} instead" if d.replacement else ""
        return [
            reason(
                ReasonCode.DEFINITION_DEPRECATED,
                f"Definition {d.key!r} is deprecated{instead}.",
                replacement=d.replacement,
            )
        ]
    return []


def compile_snapshot(version: int) -> Snapshot:
    """Read everything a decision needs. `version` must be read before this is called, so a
    change landing meanwhile makes the next request compile again."""
    definitions = adapters.definitions_by_field()
    fields: dict[int, FieldEntry] = {}
    rows = Field.objects.values_list(
        "id",
        "name",
        "status",
        "discovered",
        "dataset__name",
        "dataset__system__key",
        "dataset__system__owning_team",
    )
    for fid, name, status, discovered, dataset, system, team in rows:
        ref = format_field_ref(system, dataset, name)
        d = definitions.get(fid)
        resources = [("field", ref), ("dataset", f"{system}:{dataset}"), ("system", system)]
        if d is not None:
            resources.insert(1, ("definition", d.key))
        owners = [dict(o) for o in d.owners] if d is not None else []
        if team:
            owners.append({"role": "owning_team", "name": team})
        fields[fid] = FieldEntry(
            id=fid,
            ref=ref,
            registered=not discovered and status != Status.REMOVED,
            resources=tuple(resources),
            definition=d,
            definition_json=_definition_json(d),
            owners=owners,
            blockers=_blockers(ref, d),
        )

    classifications = {c.key: c for c in Classification.objects.all()}
    by_definition: dict[str, set[str]] = {}
    for dkey, ckey in DefinitionClassification.objects.values_list(
        "definition_key", "classification__key"
    ):
        by_definition.setdefault(dkey, set()).add(ckey)
    for entry in fields.values():
        if entry.definition is not None:
            for c in by_definition.get(entry.definition.key, ()):
                entry.labels[c] = Label("definition")
    blocked: dict[str, set[int]] = {}
    for fid, ckey, state in FieldClassification.objects.values_list(
        "field_id", "classification__key", "state"
    ):
        if state == ClassificationState.OVERRIDDEN:
            blocked.setdefault(ckey, set()).add(fid)
            fields[fid].labels.pop(ckey, None)
        else:
            fields[fid].labels[ckey] = Label(state)

    edges = adapters.lineage_edges()
    downstream = downstream_adjacency(edges)
    for ckey, c in classifications.items():
        if not c.propagates:
            continue
        seeds = [fid for fid, e in fields.items() if ckey in e.labels]
        for fid, p in propagate(downstream, seeds, blocked.get(ckey, set())).items():
            if fid in fields:
                fields[fid].labels[ckey] = Label("propagated", p.path, p.via_aggregation)

    for entry in fields.values():
        entry.keys = entry.resources + tuple(("classification", c) for c in entry.labels)
        entry.label_list = sorted(entry.labels)
    snap = Snapshot(
        version,
        fields,
        [],
        {k: list(c.obligations) for k, c in classifications.items()},
        upstream_adjacency(edges),
    )
    load_rules(snap)
    return snap


def load_rules(snap: Snapshot) -> None:
    """The purposes and the approved policies, compiled into `snap`."""
    snap.purposes = set(Purpose.objects.filter(active=True).values_list("key", flat=True))
    columns = (
        "id",
        "name",
        "effect",
        "purposes",
        "resource_kind",
        "resource_key",
        "obligations",
        "valid_from",
        "valid_until",
        "upstream_mode",
        "aggregation_deidentifies",
        "consumer_id",
        "group_id",
    )
    for p in AccessPolicy.objects.filter(status=PolicyStatus.APPROVED).values(*columns):
        start, until = p["valid_from"], p["valid_until"]
        rule = Rule(
            id=p["id"],
            name=p["name"],
            effect=p["effect"],
            purposes=None if "*" in p["purposes"] else frozenset(p["purposes"]),
            kind=p["resource_kind"],
            key=p["resource_key"],
            obligations=tuple(p["obligations"]),
            valid_from=start.timestamp() if start else None,
            valid_until=until.timestamp() if until else None,
            upstream_warn=p["upstream_mode"] == "warn",
            aggregation_deidentifies=p["aggregation_deidentifies"],
        )
        snap.rules.append(rule)
        snap.windows = snap.windows or start is not None or until is not None
        subject = f"u:{p['consumer_id']}" if p["consumer_id"] else f"g:{p['group_id']}"
        snap.add_rule(subject, rule)


# The per-process snapshot ---------------------------------------------------------------------

_lock = threading.Lock()
_current: Snapshot | None = None


def get_snapshot(version: int | None = None) -> Snapshot:
    """The snapshot for the stored catalog version (read now unless the caller just read it),
    compiled again when the version moved."""
    global _current
    if version is None:
        version = current_catalog_version()
    snap = _current
    if snap is not None and snap.version == version:
        return snap
    with _lock:
        snap = _current
        if snap is None or snap.version != version:
            _current = snap = _refresh(snap, version)
    return snap


# What a change touched, from the audit trail (app_label.model): when every change since the
# snapshot is of these kinds, only the policies and purposes are read again (milliseconds, not
# a full compile), so a policy change is cheap on the next request of every worker.
RULES_ONLY = {
    "consult.accesspolicy", "consult.purpose", "core.apitoken", "auth.user", "governance.review",
    "governance.vote",
}  # fmt: skip
RECENT_CHANGES = 500


def _refresh(snap: Snapshot | None, version: int) -> Snapshot:
    touched = _touched_since(snap.version, version) if snap is not None else None
    if touched is not None and touched <= RULES_ONLY:
        return snap.with_rules(version)
    # Compiling allocates many small long-lived objects: the cyclic GC would scan the growing
    # heap again and again (a third of the time), and there are no cycles.
    gc.disable()
    try:
        return compile_snapshot(version)
    finally:
        gc.enable()


def _touched_since(old: int, new: int) -> set[str] | None:
    """The object types of the audit records between two catalog versions, or None when it
    cannot tell (the version went back, or too many changes to read)."""
    if new <= old:
        return None
    touched = set()
    # Records are written after their version bump in the same transaction, and the version
    # row is locked until commit, so ids grow with versions: read backwards from the newest.
    recent = list(
        ChangeRecord.objects.order_by("-id").values_list("catalog_version", "object_type")[
            :RECENT_CHANGES
        ]
    )
    complete = len(recent) < RECENT_CHANGES  # read back to the first record
    for record_version, object_type in recent:
        if record_version <= old:
            complete = True
            break
        if record_version <= new:
            touched.add(object_type)
    # A version moved with no record to say why (a bump outside core.audit): assume anything.
    return touched if complete and touched else None


def clear() -> None:
    """Forget the snapshot (tests: a rolled-back transaction can reuse a version number)."""
    global _current
    _current = None


def now() -> float:
    return time.time()
