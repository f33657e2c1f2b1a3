"""The identity cache behind per-plan and per-book facts."""

from __future__ import annotations

import gc

from alliance._memo import IdentityCache, collector_paused


class Plan:
    """Unhashable, as a plan holding a dict is."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, value: int) -> None:
        self.value = value


def test_a_fact_is_computed_once_per_object_and_extra() -> None:
    cache = IdentityCache()
    calls: list[int] = []

    def double(plan: Plan) -> int:
        calls.append(plan.value)
        return 2 * plan.value

    one, other = Plan(1), Plan(1)
    assert cache.get(one, double) == 2
    assert cache.get(one, double) == 2
    assert cache.get(other, double) == 2
    assert cache.get(one, double, extra=3) == 2
    assert calls == [1, 1, 1]


def test_the_cache_holds_its_objects_and_empties_past_its_size() -> None:
    cache = IdentityCache(size=2)
    seen = [cache.get(Plan(n), lambda plan: plan.value) for n in range(5)]
    assert seen == [0, 1, 2, 3, 4]
    kept = Plan(7)
    assert cache.get(kept, lambda plan: plan.value) == 7
    assert cache.get(kept, lambda plan: -1) == 7


def test_the_collector_is_paused_in_the_block_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with collector_paused():
            raise KeyError("boom")
    except KeyError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
