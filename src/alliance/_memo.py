"""Facts computed once per immutable object: plans, contracts, books."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["IdentityCache", "collector_paused"]

_T = TypeVar("_T")


class IdentityCache:
    """Facts derived from immutable objects (plans, contracts, books), kept by identity.

    Rules and contracts are frozen, but not always hashable (a multiplier holds a dict), so
    the cache holds each object beside its value: while it is held, no other object can take
    its ``id``. The cache empties itself past ``size`` objects.
    """

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: dict[tuple[int, Any], tuple[Any, Any]] = {}

    def get(self, owner: Any, compute: Callable[[Any], _T], extra: Any = None) -> _T:
        """``compute(owner)``, computed once per ``(owner, extra)``."""
        key = (id(owner), extra)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is owner:
            value: _T = entry[1]
            return value
        value = compute(owner)
        if len(self._entries) >= self._size:
            self._entries.clear()
        self._entries[key] = (owner, value)
        return value


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a block that builds many objects and no cycles.

    Building a few hundred thousand records while big lists are alive makes the collector
    run full passes over them again and again; the block creates no reference cycles, so
    nothing is lost by collecting once it is done, when the collector is turned back on (if
    it was on before).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
