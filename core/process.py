"""How a serving process keeps the cyclic garbage collector off its requests (config/wsgi.py,
and the benchmarks that measure what a worker does)."""

from __future__ import annotations

import gc


def settle() -> None:
    """Import what the first request would (every view, through the URL patterns), then move
    everything the process holds so far out of the cyclic garbage collector's sight
    (`gc.freeze()`): Django's modules, classes and functions live as long as the process, and a
    full collection walked all of them, 60 ms at a time on a random request (measured with
    `bench/scale.py`). Reference counting still frees what they let go of.

    Then a young collection every 10,000 new objects rather than 700: a lineage answer or a
    consult of many fields holds tens of thousands of objects for a few milliseconds, and with
    collections every 700 of them they were promoted to the oldest generation while still in
    use, setting off full collections (30 to 90 ms each, over consult's cache of hot fields):
    six in 400 lineage requests, one at 10,000."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the views)
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
