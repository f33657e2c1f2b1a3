"""The base of every check: parameters as a frozen pydantic model, a run over a `Frame`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from alliance._tables import Clicks, Orders, Partners, Reversals
from alliance.risk._events import Stream, StreamContext
from alliance.risk._flags import REASONS, Flags, Reason
from alliance.risk._frame import Frame

__all__ = ["CHECKS", "Check"]

#: Every check class, by its ``check`` name.
CHECKS: dict[str, type[Check]] = {}


class Check(BaseModel):
    """A fraud check: its parameters, and `run` over the encoded inputs, returning flags.

    Subclasses declare ``check`` (a literal: the name that tags them in a `Policy`), the
    tables they need and the reason codes they raise. Calling a check on tables runs it alone::

        flags = risk.ClickInjection(max_seconds=10)(orders=orders, clicks=clicks)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    #: Tables the check reads; `screen` skips a check when one of them is not given.
    needs: ClassVar[tuple[str, ...]] = ()
    #: Reason codes the check raises.
    codes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.model_fields["check"].default
        if isinstance(name, str) and name:
            CHECKS[name] = cls

    def run(self, frame: Frame) -> Flags:  # pragma: no cover - every check overrides it
        """The flags of this check over the frame's tables."""
        raise NotImplementedError

    def stream(self, context: StreamContext) -> Stream | None:
        """The streaming form of this check, or ``None`` if it needs the whole batch."""
        return None

    def __call__(
        self,
        *,
        orders: Orders | None = None,
        clicks: Clicks | None = None,
        partners: Partners | None = None,
        reversals: Reversals | None = None,
    ) -> Flags:
        """Run this check alone over some tables."""
        frame = Frame(orders=orders, clicks=clicks, partners=partners, reversals=reversals)
        missing = [name for name in self.needs if getattr(frame, name) is None]
        if missing:
            raise ValueError(f"check {self.check!r} needs {' and '.join(missing)}")
        return self.run(frame)

    @staticmethod
    def registered() -> tuple[str, ...]:
        """The names of every check class, in the order they were declared."""
        return tuple(CHECKS)

    @classmethod
    def reasons(cls) -> tuple[Reason, ...]:
        """The reasons this check raises."""
        return tuple(REASONS[code] for code in cls.codes)
