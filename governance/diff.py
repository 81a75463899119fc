"""Attribute-by-attribute difference between two versions of a definition. Pure."""

from __future__ import annotations


def diff(before: dict, after: dict, names: tuple[str, ...]) -> list[dict]:
    """[{"attribute", "from", "to"}] for each name whose value differs, in the order given.
    Lists compare as sets when both hold only strings (synonyms in another order are the same)."""
    changes = []
    for name in names:
        old, new = before.get(name), after.get(name)
        if _same(old, new):
            continue
        change = {"attribute": name, "from": old, "to": new}
        if _string_list(old) and _string_list(new):
            change["added"] = [v for v in new if v not in old]
            change["removed"] = [v for v in old if v not in new]
        changes.append(change)
    return changes


def _string_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _same(old, new) -> bool:
    if _string_list(old) and _string_list(new):
        return sorted(old) == sorted(new)
    return old == new
