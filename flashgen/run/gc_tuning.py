"""Fewer garbage collections while a run generates.

A run allocates a few hundred container objects per call (items, their dicts, futures, events),
nearly all of them short-lived. At CPython's default threshold (700 allocations) a young
collection runs several times per call, and each of the occasional full ones walks every object
alive, the tens of thousands created by imports included. With a higher threshold most of those
objects are gone before a collection looks, and ``gc.freeze`` keeps what existed before the run
out of every collection: on the benchmark's large course the collector's share fell from ~0.10
to ~0.02 ms a call (``python -m benchmarks.scheduler``). Reference cycles are still collected,
only later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 20_000


@contextmanager
def fewer_collections(young_threshold: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """While the block runs: objects alive at its start frozen, young collections rarer."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young_threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
