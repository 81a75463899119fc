"""The decision state of one process: the approved policies and purposes (bounded by how many
policies there are, not by the catalog), and a bounded cache of the fields being consulted,
each with its definition, labels (with propagation) and upstream trust.

The catalog itself stays in the database. A field's entry is computed on its first consult from
the field, its definition and the DIRECT lineage upstream of it (one recursive query), and kept
in a least-recently-used cache of `CONSULT_CACHE_FIELDS` entries. `get_snapshot()` reads the
stored catalog version on every call (one indexed read); when it moved, the `DecisionChange`
rows written since (consult/changes.py) say what may have changed: a policy is read again, and
the cached fields whose upstream holds a changed field are dropped, to be recomputed on their
next consult. A write that cannot alter a decision (a description, a contact, a draft) leaves
no row, so nothing is refreshed. There is no TTL: a revoked policy or a deprecated definition
changes the very next decision of every process. Decisions are pure functions of the entries,
the caller's subjects, the purpose and the time; they are memoised until the next change or
the next policy validity boundary."""

from __future__ import annotations

import math
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings

from catalog.choices import Status
from catalog.models import Dataset, Field, SourceSystem
from catalog.refs import RefError, format_field_ref, parse_field_ref
from consult import adapters, policy
from consult.adapters import DefinitionInfo
from consult.choices import ClassificationState, Decision, PolicyStatus, ReasonCode
from consult.models import (
    AccessPolicy,
    Classification,
    DecisionChange,
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
from core.api.parsers import UNSTORABLE
from core.audit import current_catalog_version

APPROVED = {"approved", "needs_review"}
DEPRECATED = "deprecated"
# More changes than this since the last request: drop every cached field rather than read them.
MAX_CHANGES = 20_000
REFS_PER_QUERY = 300  # three parameters each


def cache_size() -> int:
    return settings.CONSULT_CACHE_FIELDS


def build_chunk() -> int:
    """How many fields' entries are computed together (see Snapshot._load)."""
    return settings.CONSULT_BUILD_CHUNK


def memo_size() -> int:
    return settings.CONSULT_MEMO_ENTRIES


@dataclass(frozen=True, slots=True)
class Label:
    """One classification on one field and how it got there (one shared instance per source
    for the labels without a path, `_LABELS`)."""

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
    # Tuples rather than lists: a tuple of plain values leaves the cyclic garbage collector's
    # sight (see config/wsgi.py), a list never does.
    owners: tuple[dict, ...] = ()
    labels: dict[str, Label] = field(default_factory=dict)
    blockers: list = field(default_factory=list)  # reasons that deny whatever the policies say
    # Every (kind, key) a policy may name for this field, and the labels in order, built once.
    keys: tuple[tuple[str, str], ...] = ()
    label_list: tuple[str, ...] = ()
    untrusted: tuple[tuple[str, str], ...] = ()  # (upstream ref, why)
    # This field and everything upstream of it along DIRECT edges, sorted: a change to any of
    # them may change this entry. A flat array (8 bytes an id) rather than a set of ints (about
    # 60): a mart field has hundreds of ancestors, and this was most of a hot field's memory.
    deps: array = field(default_factory=lambda: array("q"))

    def depends_on(self, fields: set[int]) -> bool:
        """Whether a change to any of `fields` may change this entry."""
        deps = self.deps
        if len(fields) * 8 < len(deps):
            for f in fields:
                i = bisect_left(deps, f)
                if i < len(deps) and deps[i] == f:
                    return True
            return False
        return any(d in fields for d in deps)


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


def _canonical(ref: str) -> str | None:
    try:
        return str(parse_field_ref(ref))
    except RefError:
        return None


class Snapshot:
    """The decision state of this process as of catalog version `version` (see the module)."""

    def __init__(self, version: int) -> None:
        self.version = version
        self.entries: OrderedDict[int, FieldEntry] = OrderedDict()  # least recently used first
        self.by_ref: dict[str, FieldEntry] = {}
        self.missing: set[str] = set()  # canonical refs known to name no field
        self.policies: dict[int, tuple[str, Rule]] = {}  # id -> (subject, rule)
        self.purposes: set[str] = set()
        self.obligations: dict[str, list[dict]] = {}
        self.propagating: list[str] = []  # classifications that follow lineage, by key
        self.windows = False  # does any policy have a validity window?
        # subject ("u:<user id>" or "g:<group id>") -> (kind, key) -> rules
        self.index: dict[str, dict[tuple[str, str], list[Rule]]] = {}
        self.deidentifying = False  # does any rule drop labels that came by aggregation?
        self._memo: dict[tuple, Outcome] = {}
        self._maps: dict[tuple[str, ...], list] = {}  # subjects -> their rule indexes
        self.lock = threading.RLock()
        self.loaded = 0  # field entries computed (tests and benchmarks read it)
        self.evicted = 0  # entries dropped because something they depend on changed

    # Keeping in step with the database -----------------------------------------------------------

    def reset(self) -> None:
        """Forget every field; read the policies, purposes and taxonomy again."""
        with self.lock:
            self.entries.clear()
            self.by_ref.clear()
            self.missing.clear()
            self._memo.clear()
            self._load_taxonomy()
            self._load_purposes()
            self._load_policies(None)

    def sync(self, version: int) -> None:
        """Apply what changed between the version this state is at and `version` (read by the
        caller before, so a change landing meanwhile is applied on the next call)."""
        with self.lock:
            if version == self.version:
                return
            if version < self.version:
                # Another thread may have moved on already; if not, the database went back (a
                # restore, a rolled-back test) and nothing held can be trusted.
                version = current_catalog_version()
                if version < self.version:
                    self.reset()
                else:
                    return
            else:
                rows = list(
                    DecisionChange.objects.filter(
                        catalog_version__gt=self.version, catalog_version__lte=version
                    ).values_list("kind", "key")[: MAX_CHANGES + 1]
                )
                if len(rows) > MAX_CHANGES:
                    self.reset()
                elif rows:
                    self._apply(rows)
            self.version = version

    def _apply(self, rows: list[tuple[str, str]]) -> None:
        touched: dict[str, set[str]] = {}
        for kind, key in rows:
            touched.setdefault(kind, set()).add(key)
        if "all" in touched:
            self.reset()
            return
        if "policy" in touched:
            self._load_policies({int(k) for k in touched["policy"]})
        if "purpose" in touched:
            self._load_purposes()
        fields = {int(k) for k in touched.get("field", ())}
        if "definition" in touched or "definition_key" in touched:
            fields |= adapters.fields_of_definitions(
                ids=[int(k) for k in touched.get("definition", ())],
                keys=list(touched.get("definition_key", ())),
            )
        if "job" in touched:
            fields |= adapters.job_targets([int(k) for k in touched["job"]])
        if fields:
            held = list(self.entries.items())
            stale = [fid for fid, e in held if e.depends_on(fields)]
            for fid in stale:
                self._drop(fid)
            self.evicted += len(stale)
        if fields or "new" in touched:
            self.missing.clear()
        self._memo.clear()

    def _drop(self, fid: int) -> None:
        entry = self.entries.pop(fid, None)
        if entry is not None and self.by_ref.get(entry.ref) is entry:
            del self.by_ref[entry.ref]

    def _load_taxonomy(self) -> None:
        classifications = list(Classification.objects.order_by("key"))
        self.obligations = {c.key: list(c.obligations) for c in classifications}
        self.propagating = [c.key for c in classifications if c.propagates]

    def _load_purposes(self) -> None:
        self.purposes = set(Purpose.objects.filter(active=True).values_list("key", flat=True))
        self._memo.clear()

    def _load_policies(self, ids: set[int] | None) -> None:
        """Read the approved policies (all, or those with `ids` again) and index them."""
        rows = AccessPolicy.objects.filter(status=PolicyStatus.APPROVED)
        if ids is None:
            self.policies = {}
        else:
            for pid in ids:
                self.policies.pop(pid, None)
            rows = rows.filter(pk__in=list(ids))
        for p in rows.values(*_POLICY_COLUMNS):
            self.policies[p["id"]] = _compile_policy(p)
        self.index, self._maps = {}, {}
        self.windows = self.deidentifying = False
        for pid in sorted(self.policies):
            subject, rule = self.policies[pid]
            windowed = rule.valid_from is not None or rule.valid_until is not None
            self.windows = self.windows or windowed
            self.index.setdefault(subject, {}).setdefault((rule.kind, rule.key), []).append(rule)
            self.deidentifying = self.deidentifying or rule.aggregation_deidentifies
        self._memo.clear()

    # Look-ups -----------------------------------------------------------------------------------

    def entry(self, ref: str) -> FieldEntry | None:
        """The field `ref` names (computed now if this process has not seen it), or None."""
        entry = self.by_ref.get(ref)
        if entry is None:
            canonical = _canonical(ref)
            if canonical is None:
                return None
            entry = self.by_ref.get(canonical)
            if entry is None and canonical not in self.missing:
                self.prefetch([canonical])
                entry = self.by_ref.get(canonical)
        if entry is not None:
            # Not contextlib.suppress: this runs on every evaluation.
            try:  # noqa: SIM105
                self.entries.move_to_end(entry.id)  # recently used
            except KeyError:  # dropped meanwhile by another thread
                pass
        return entry

    def entry_by_id(self, fid: int) -> FieldEntry | None:
        entry = self.entries.get(fid)
        if entry is None:
            with self.lock:
                self._load([fid])
            entry = self.entries.get(fid)
        return entry

    def prefetch(self, refs) -> None:
        """Compute the entries of the refs this process does not hold yet, together: a
        thousand-field consult is a few queries, not a thousand."""
        by_ref, missing = self.by_ref, self.missing
        wanted = {}
        for ref in refs:
            if ref in by_ref or ref in wanted:
                continue
            try:
                parsed = parse_field_ref(ref)
            except RefError:
                continue
            canonical = str(parsed)
            if UNSTORABLE.search(canonical):  # NUL or a lone surrogate names no stored field
                missing.add(canonical)
                continue
            if canonical not in by_ref and canonical not in missing:
                wanted[canonical] = (parsed.system, parsed.dataset, parsed.column)
        if not wanted:
            return
        with self.lock:
            ids = _field_ids(wanted)
            self._load(list(dict.fromkeys(ids.values())))
            for ref in wanted:
                if ref not in ids:
                    if len(missing) >= cache_size():
                        missing.clear()
                    missing.add(ref)

    def ref_names(self, ids) -> dict[int, str]:
        """{id: reference} of fields, for showing a label's path."""
        return adapters.field_refs(ids)

    # Computing entries --------------------------------------------------------------------------

    def _load(self, ids: list[int]) -> None:
        """Compute and cache the entries of fields `ids` from the database."""
        ids = [i for i in ids if i not in self.entries]
        if not ids:
            return
        # A few hundred at a time: what a thousand deep fields have upstream, read at once,
        # peaked at 125 MB (kept: 14 MB), and a worker's memory stays where its peak was.
        chunk = build_chunk()
        for start in range(0, len(ids), chunk):
            for entry in build_entries(ids[start : start + chunk], self.propagating):
                self._drop(entry.id)
                self.entries[entry.id] = entry
                self.by_ref[entry.ref] = entry
                self.loaded += 1
        limit = cache_size()
        while len(self.entries) > limit:
            fid, entry = self.entries.popitem(last=False)
            if self.by_ref.get(entry.ref) is entry:
                del self.by_ref[entry.ref]

    # Decisions ----------------------------------------------------------------------------------

    def decide(self, subjects: tuple[str, ...], purpose: str, ref: str, now: float) -> Outcome:
        key = (subjects, purpose, ref)
        hit = self._memo.get(key)
        if hit is not None and now < hit.expires:
            return hit
        outcome = self.evaluate(subjects, purpose, ref, now)
        if len(self._memo) >= memo_size():
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
        untrusted = entry.untrusted
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


# Building entries ------------------------------------------------------------------------------


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


def _q(name: str) -> str:
    from django.db import connection

    return connection.ops.quote_name(name)


def _field_ids(wanted: dict[str, tuple[str, str, str]]) -> dict[str, int]:
    """{canonical ref: field id} for the refs (with their system, dataset and column) that
    name a field, by row values: a few queries for a thousand refs."""
    from django.db import connection

    quote = connection.ops.quote_name
    parts = {v: k for k, v in wanted.items()}
    keys = list(parts)
    out = {}
    for start in range(0, len(keys), REFS_PER_QUERY):
        chunk = keys[start : start + REFS_PER_QUERY]
        sql = (
            f"SELECT f.id, s.{quote('key')}, d.name, f.name FROM {quote(Field._meta.db_table)} f "
            f"JOIN {quote(Dataset._meta.db_table)} d ON d.id = f.dataset_id "
            f"JOIN {quote(SourceSystem._meta.db_table)} s ON s.id = d.system_id "
            f"WHERE (s.{quote('key')}, d.name, f.name) IN "
            f"({', '.join(['(%s, %s, %s)'] * len(chunk))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [v for k in chunk for v in k])
            for fid, system, dataset, column in cursor.fetchall():
                ref = parts.get((system, dataset, column))
                if ref is not None:
                    out[ref] = fid
    return out


def build_entries(ids: list[int], propagating: list[str]) -> list[FieldEntry]:
    """The entries of fields `ids`, from the fields, their definitions and everything upstream
    of them along DIRECT lineage. The propagation and trust walks run on that upstream subgraph
    in the same edge and field order as over the whole graph, so their answers (paths too) are
    those a whole-catalog computation gives. Of the fields upstream only their reference, why
    they are untrusted and their labels are kept while the walks run: a thousand mart fields
    have some hundred thousand fields upstream."""
    edges = adapters.upstream_edges(ids)
    nodes = set(ids) | {e.source for e in edges} | {e.target for e in edges}
    rows = adapters.field_rows(nodes)
    rows.sort(key=lambda r: (r[7], r[8], r[1]))  # the fields' own ordering
    # The consulted fields' definitions in full; of the fields upstream, key and status only.
    definitions = adapters.definitions_for_fields(ids)
    summaries = adapters.definition_summaries(nodes - definitions.keys())
    consulted = set(ids)
    fields: dict[int, FieldEntry] = {}  # the consulted ones
    refs: dict[int, str] = {}  # every field read, in the fields' order
    problems: dict[int, str] = {}  # why a field upstream is not to be trusted
    definition_keys: dict[int, str] = {}
    for fid, name, status, discovered, dataset, system, team, _, _ in rows:
        # One string per reference however many entries name it as an upstream.
        ref = refs[fid] = sys.intern(format_field_ref(system, dataset, name))
        registered = not discovered and status != Status.REMOVED
        d = definitions.get(fid)
        summary = summaries.get(fid) if d is None else None
        key, state = (d.key, d.status) if d is not None else summary or (None, None)
        if key is not None:
            definition_keys[fid] = key
        if not registered:
            problems[fid] = _UNREGISTERED
        elif state not in APPROVED:
            problems[fid] = _UNAPPROVED
        if fid not in consulted:
            continue
        if summary is not None:
            d = DefinitionInfo(key=summary[0], version=0, status=summary[1])
        entry = fields[fid] = FieldEntry(
            id=fid,
            ref=ref,
            registered=registered,
            resources=(("field", ref), ("dataset", f"{system}:{dataset}"), ("system", system)),
            definition=d,
        )
        if fid in definitions:
            entry.resources = (entry.resources[0], ("definition", d.key), *entry.resources[1:])
            entry.definition_json = _definition_json(d)
            entry.owners = tuple(dict(o) for o in d.owners)
        if team:
            entry.owners = (*entry.owners, {"role": "owning_team", "name": team})

    labels: dict[int, dict[str, Label]] = {}
    by_definition: dict[str, set[str]] = {}
    table = DefinitionClassification._meta.db_table
    for dkey, ckey in adapters.select_in(
        f"SELECT dc.definition_key, c.{_q('key')} FROM {_q(table)} dc "
        f"JOIN {_q(Classification._meta.db_table)} c ON c.id = dc.classification_id "
        "WHERE dc.definition_key {ids}",
        sorted(set(definition_keys.values())),
    ):
        by_definition.setdefault(dkey, set()).add(ckey)
    for fid in refs:
        for c in by_definition.get(definition_keys.get(fid), ()):
            labels.setdefault(fid, {})[c] = _LABELS["definition"]
    blocked: dict[str, set[int]] = {}
    for fid, ckey, state in adapters.select_in(
        f"SELECT fc.field_id, c.{_q('key')}, fc.state "
        f"FROM {_q(FieldClassification._meta.db_table)} fc "
        f"JOIN {_q(Classification._meta.db_table)} c ON c.id = fc.classification_id "
        "WHERE fc.field_id {ids} ORDER BY fc.id",
        list(refs),
    ):
        if state == ClassificationState.OVERRIDDEN:
            blocked.setdefault(ckey, set()).add(fid)
            labels.get(fid, {}).pop(ckey, None)
        else:
            labels.setdefault(fid, {})[ckey] = _LABELS.get(state) or Label(state)
    for fid, entry in fields.items():
        entry.labels = labels.get(fid, {})

    wanted = [fields[i] for i in dict.fromkeys(ids) if i in fields]
    downstream = downstream_adjacency(edges)
    for ckey in propagating:
        seeds = [fid for fid in refs if ckey in labels.get(fid, ())]
        if not seeds:
            continue
        reached = propagate(downstream, seeds, blocked.get(ckey, set()))
        for entry in wanted:
            p = reached.get(entry.id)
            if p is not None:
                entry.labels[ckey] = Label("propagated", p.path, p.via_aggregation)

    upstream = upstream_adjacency(edges)

    def problem(field_id: int) -> str | None:
        return problems.get(field_id) if field_id in refs else _UNREGISTERED

    for entry in wanted:
        entry.blockers = _blockers(entry.ref, entry.definition)
        entry.keys = entry.resources + tuple(("classification", c) for c in entry.labels)
        entry.label_list = tuple(sorted(entry.labels))
        entry.untrusted = tuple(
            (refs.get(f) or f"field #{f}", why)
            for f, why in untrusted_upstream(upstream, entry.id, problem)
        )
        entry.deps = array("q", sorted(_ancestors(upstream, entry.id)))
    return wanted


_UNREGISTERED = "not registered (discovered in lineage only)"
_UNAPPROVED = "no approved definition"
# Labels without a path, shared by every entry that holds one.
_LABELS = {
    source: Label(source)
    for source in (
        "definition",
        str(ClassificationState.ASSIGNED),
        str(ClassificationState.CONFIRMED),
    )
}


def _ancestors(upstream: dict, start: int) -> set[int]:
    seen = {start}
    queue = deque([start])
    while queue:
        for source, _, _ in upstream.get(queue.popleft(), ()):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen


_POLICY_COLUMNS = (
    "id", "name", "effect", "purposes", "resource_kind", "resource_key", "obligations",
    "valid_from", "valid_until", "upstream_mode", "aggregation_deidentifies", "consumer_id",
    "group_id",
)  # fmt: skip


def _compile_policy(p: dict) -> tuple[str, Rule]:
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
    subject = f"u:{p['consumer_id']}" if p["consumer_id"] else f"g:{p['group_id']}"
    return subject, rule


# The per-process state -------------------------------------------------------------------------

_lock = threading.Lock()
_current: Snapshot | None = None


def get_snapshot(version: int | None = None) -> Snapshot:
    """This process's decision state, brought to the stored catalog version (read now unless
    the caller just read it)."""
    global _current
    if version is None:
        version = current_catalog_version()
    snap = _current
    if snap is None:
        with _lock:
            snap = _current
            if snap is None:
                snap = Snapshot(version)
                snap.reset()
                _current = snap
    if snap.version != version:
        snap.sync(version)
    return snap


def clear() -> None:
    """Forget the state (tests: a rolled-back transaction can reuse a version number)."""
    global _current
    _current = None


def now() -> float:
    return time.time()
