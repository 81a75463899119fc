"""Policy precedence (pure): deny by default; at the most specific resource level that has any
applicable policy, an explicit deny beats an allow; every policy at that level is a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

# A policy on a field beats one on its definition, which beats one on a classification it
# carries, then its dataset, then its system. Classification sits above the containers so
# "deny pii.sensitive for marketing" is not undone by "allow the whole CRM for marketing".
SPECIFICITY = {"field": 5, "definition": 4, "classification": 3, "dataset": 2, "system": 1}


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled, approved policy."""

    id: int
    name: str
    effect: str
    purposes: frozenset[str] | None  # None: every purpose
    kind: str
    key: str
    obligations: tuple[dict, ...] = ()
    valid_from: float | None = None  # POSIX timestamps
    valid_until: float | None = None
    upstream_warn: bool = False
    aggregation_deidentifies: bool = False
    specificity: int = field(init=False)
    # The reason this rule gives, built once: as it decides, and as it is overruled (an allow
    # in a decision something else denies).
    reason: dict = field(init=False, compare=False)
    overruled: dict = field(init=False, compare=False)
    label: str = field(init=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "specificity", SPECIFICITY[self.kind])
        verb, code = (
            ("Denied", "policy_denied") if self.effect == "deny" else ("Allowed", "policy_allowed")
        )
        message = f"{verb} by policy #{self.id} {self.name!r} ({self.kind} {self.key})."
        reason = {"code": code, "message": message, "policy": self.id, "decisive": True}
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "overruled", {**reason, "decisive": False})
        object.__setattr__(self, "label", f"policy #{self.id} {self.name!r}")

    def applies(self, purpose: str, now: float) -> bool:
        return (
            (self.purposes is None or purpose in self.purposes)
            and (self.valid_from is None or self.valid_from <= now)
            and (self.valid_until is None or now < self.valid_until)
        )


def decide(rules: list[Rule]) -> tuple[str | None, list[Rule]]:
    """(effect or None when no policy applies, the deciding rules)."""
    if not rules:
        return None, []
    top = max(r.specificity for r in rules)
    level = [r for r in rules if r.specificity == top]
    denies = [r for r in level if r.effect == "deny"]
    if denies:
        return "deny", denies
    return "allow", level
