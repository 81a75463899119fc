"""Sentences the service builds and keeps (a review's title): stored as their English message id
and values, so that each reader gets them in their own language while the API and the audit
trail keep English."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext


@dataclass(frozen=True)
class Phrase:
    """`msgid` is marked with gettext_noop where it is written (so makemessages finds it);
    `args` fill its %(name)s placeholders."""

    msgid: str
    args: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return gettext(self.msgid) % self.args

    def english(self) -> str:
        with translation.override("en"):
            return str(self)

    def as_json(self) -> dict:
        return {"msgid": self.msgid, "args": self.args}

    @classmethod
    def from_json(cls, data) -> Phrase | None:
        if not isinstance(data, dict) or not isinstance(data.get("msgid"), str):
            return None
        return cls(data["msgid"], dict(data.get("args") or {}))


def show_phrase(data, fallback: str) -> str:
    """A stored phrase in the active language; the stored English text for rows kept before
    phrases were (or whose message id no longer formats)."""
    phrase = Phrase.from_json(data)
    if phrase is None:
        return fallback
    try:
        return str(phrase)
    except (KeyError, TypeError, ValueError):
        return fallback
