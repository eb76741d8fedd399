"""The run's garbage-collector settings are the run's only: everything is as before after it."""

from __future__ import annotations

import gc
import weakref

import pytest

from flashgen.run.gc_tuning import YOUNG_THRESHOLD, fewer_collections


def test_settings_hold_inside_and_are_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0  # what existed before is out of every collection
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_restored_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(KeyboardInterrupt), fewer_collections():
        raise KeyboardInterrupt
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_made_inside_are_still_collected() -> None:
    class Node:
        partner: object = None

    with fewer_collections():
        first, second = Node(), Node()
        first.partner, second.partner = second, first
        watch = weakref.ref(first)
        del first, second
        assert watch() is not None  # a cycle: reference counting alone cannot free it
        gc.collect()
        assert watch() is None
