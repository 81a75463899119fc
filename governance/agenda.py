"""Other apps' items on every committee agenda (vendor schema-change notices, say).

An app registers a provider in its AppConfig.ready(): a function returning a list of
{"type", "id", "title", "url_path", "since", "flags"}; the agenda (API and Markdown) lists what
the providers return under "Other items"."""

from __future__ import annotations

from collections.abc import Callable

_providers: list[Callable[[], list[dict]]] = []


def register_provider(provider: Callable[[], list[dict]]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def items() -> list[dict]:
    return [item for provider in _providers for item in provider()]
