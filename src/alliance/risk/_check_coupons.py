"""The check on exclusive coupon codes: leakage to buyers their partner did not bring.

Every flag except the coupon leak share can also be judged one order at a time, so the check
has a streaming form that flags exactly what its batch run flags when the events come in
time order.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from alliance.risk._check import Check
from alliance.risk._check_common import DAY, _evidence, event_flags
from alliance.risk._events import ClickEvent, OrderEvent, Stream, StreamContext, flag
from alliance.risk._flags import Flag, Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._windows import IntArray, last_at_or_before, text_codes

__all__ = ["CouponLeakage"]

reason(
    "coupon_without_click",
    "coupon_leakage",
    "order",
    "an exclusive code redeemed without its owner's click",
    op="==",
    unit="",
    action="review",
    weight=0.5,
)
reason(
    "coupon_leak_share",
    "coupon_leakage",
    "coupon",
    "share of an exclusive code's redemptions without its owner's click",
    op=">",
    unit="",
    action="review",
    weight=0.4,
)
reason(
    "coupon_site_referrer",
    "coupon_leakage",
    "order",
    "the winning click came from a coupon site",
    op="==",
    unit="",
    action="review",
    weight=0.4,
)


# -- coupon leakage -----------------------------------------------------------------------------


def _referrer_host(referrer: Any) -> str | None:
    """The host of a referrer URL, lower-case, without a trailing dot (``None`` if none)."""
    if referrer is None:
        return None
    text = str(referrer).strip()
    if not text:
        return None
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def _is_site(host: str | None, sites: tuple[str, ...]) -> bool:
    return host is not None and any(host == s or host.endswith("." + s) for s in sites)


class CouponLeakage(Check):
    """Coupon leakage: a partner's exclusive code used by buyers the partner did not bring.

    A code is exclusive when it is in a partner's ``coupon_codes``; that partner owns it.

    Reason codes:

    - ``coupon_without_click`` (order, review, 0.5): the order redeems an exclusive code and
      its visitor has no click of the owner at or before the order within ``lookback_days``.
      An order without a visitor is not judged. Observed 1, threshold 1, evidence the code
      and the owner; partner id the owner.
    - ``coupon_leak_share`` (coupon, review, 0.4; batch only): of the code's judged
      redemptions (at least ``min_redemptions``), the share without the owner's click is over
      ``max_share``. Observed the share, evidence the first few such order ids; partner id the
      owner.
    - ``coupon_site_referrer`` (order, review, 0.4): the order's winning click has a
      ``referrer`` (clicks extra column) whose host is one of ``coupon_sites`` or a subdomain
      of one. Observed 1, threshold 1, evidence the click id and the host.

    Attributes:
        lookback_days: How far back the owner's click counts, days (30).
        min_redemptions: Fewest judged redemptions of a code to judge its share (10).
        max_share: Share of redemptions without the owner's click above which a code
            leaks (0.5).
        coupon_sites: Hosts of coupon sites (``"retailmenot.com"``); empty turns the
            referrer check off (the default).
    """

    check: Literal["coupon_leakage"] = "coupon_leakage"
    needs: ClassVar[tuple[str, ...]] = ("orders", "clicks", "partners")
    codes: ClassVar[tuple[str, ...]] = (
        "coupon_without_click",
        "coupon_leak_share",
        "coupon_site_referrer",
    )

    lookback_days: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    min_redemptions: int = Field(default=10, ge=1)
    max_share: float = Field(default=0.5, ge=0, lt=1)
    coupon_sites: tuple[str, ...] = ()

    #: How many order ids a ``coupon_leak_share`` flag shows.
    shown: ClassVar[int] = 5

    @field_validator("coupon_sites")
    @classmethod
    def _hosts(cls, sites: tuple[str, ...]) -> tuple[str, ...]:
        hosts = []
        for site in sites:
            host = site.strip().lower().strip(".")
            if not host or any(c in host for c in "/:@ "):
                raise ValueError(f"coupon_sites must hold host names, got {site!r}")
            hosts.append(host)
        return tuple(hosts)

    @property
    def _lookback(self) -> int:
        return round(self.lookback_days * DAY)

    def run(self, frame: Frame) -> Flags:
        """Flag redemptions without the owner's click, leaking codes and coupon-site clicks."""
        coupon = frame.order_coupon
        owner = np.full(coupon.size, -1, dtype=np.int64)
        redeemed = coupon >= 0
        owner[redeemed] = frame.coupon_owner[coupon[redeemed]]
        judged = np.flatnonzero((owner >= 0) & (frame.order_visitor >= 0))
        clicked = self._owner_clicked(frame, judged, owner[judged])
        missed = judged[~clicked]
        owner_ids = frame.partner_ids[owner[missed]]
        codes = frame.coupon_codes[coupon[missed]]
        parts = [
            Flags.of(
                "order",
                frame.order_ids(missed),
                "coupon_without_click",
                observed=1.0,
                threshold=1.0,
                evidence=_evidence(codes.tolist(), owner_ids.tolist()),
                partner_id=owner_ids,
            )._located(missed),
            self._leak_share(frame, coupon[judged], ~clicked, judged),
            self._site_referrer(frame),
        ]
        return Flags.concat(parts)

    def _owner_clicked(
        self, frame: Frame, rows: npt.NDArray[np.intp], owner: IntArray
    ) -> npt.NDArray[np.bool_]:
        """Whether each order's visitor clicked its code's owner within the look-back."""
        if rows.size == 0 or frame.click_count == 0:
            return np.zeros(rows.size, dtype=bool)
        span = frame.partner_ids.size
        visitor = frame.order_visitor[rows]
        # Only clicks of owners by the visitors judged can matter: sort those alone.
        owners = np.zeros(span, dtype=bool)
        owners[owner] = True
        click_visitor, click_partner = frame.click_visitor, frame.click_partner
        visitors = np.zeros(int(max(click_visitor.max(), visitor.max())) + 1, dtype=bool)
        visitors[visitor] = True
        kept = np.flatnonzero(
            (click_visitor >= 0) & visitors[click_visitor] & owners[click_partner]
        )
        click_ts = frame.click_ts[kept]
        found = last_at_or_before(
            click_visitor[kept] * span + click_partner[kept],
            click_ts,
            visitor * span + owner,
            frame.order_ts[rows],
        )
        clicked = found >= 0
        clicked[clicked] = click_ts[found[clicked]] > frame.order_ts[rows][clicked] - self._lookback
        return clicked

    def _leak_share(
        self,
        frame: Frame,
        coupon: IntArray,
        missed: npt.NDArray[np.bool_],
        rows: npt.NDArray[np.intp],
    ) -> Flags:
        size = frame.coupon_codes.size
        total = np.bincount(coupon, minlength=size)
        without = np.bincount(coupon[missed], minlength=size)
        share = without / np.maximum(total, 1)
        leaking = np.flatnonzero((total >= self.min_redemptions) & (share > self.max_share))
        if leaking.size == 0:
            return Flags.empty()
        missed_rows = rows[missed]
        missed_coupon = coupon[missed]
        by_code = np.lexsort((missed_rows, frame.order_ts[missed_rows], missed_coupon))
        sorted_coupon = missed_coupon[by_code]
        starts = np.searchsorted(sorted_coupon, leaking)
        evidence = [
            tuple(frame.order_ids(missed_rows[by_code[start : start + self.shown]]).tolist())
            for start in starts.tolist()
        ]
        return Flags.of(
            "coupon",
            frame.coupon_codes[leaking],
            "coupon_leak_share",
            observed=share[leaking],
            threshold=self.max_share,
            evidence=evidence,
            partner_id=frame.partner_ids[frame.coupon_owner[leaking]],
        )

    def _site_referrer(self, frame: Frame) -> Flags:
        clicks = frame.clicks
        if not self.coupon_sites or clicks is None or "referrer" not in clicks:
            return Flags.empty()
        won = frame.winning_click
        rows = np.flatnonzero(won >= 0)
        codes, referrers = text_codes(np.asarray(clicks["referrer"], dtype=object)[won[rows]])
        hosts = [_referrer_host(r) for r in referrers.tolist()]
        on_site = np.array([_is_site(h, self.coupon_sites) for h in hosts] + [False], dtype=bool)
        hit = on_site[codes]
        flagged, host_codes = rows[hit], codes[hit]
        return event_flags(
            frame,
            "order",
            flagged,
            "coupon_site_referrer",
            observed=1.0,
            threshold=1.0,
            evidence=_evidence(
                frame.click_ids(won[flagged]).tolist(), [hosts[c] for c in host_codes.tolist()]
            ),
        )

    def stream(self, context: StreamContext) -> Stream:
        """Remember each owner's last click per visitor; judge each order.

        ``coupon_leak_share`` is a judgement over all of a code's redemptions and is not
        streamed.
        """
        return _CouponLeakageStream(self, context)


class _CouponLeakageStream(Stream):
    def __init__(self, check: CouponLeakage, context: StreamContext) -> None:
        self._coupon_owner = context.coupon_owner
        self._owners = frozenset(context.coupon_owner.values())
        self._lookback = check._lookback
        self._sites = check.coupon_sites
        #: Last click per (visitor, owner) within the look-back.
        self._last_click: dict[tuple[str, str], int] = {}

    def click(self, event: ClickEvent) -> list[Flag]:
        if event.visitor_id is not None and event.partner_id in self._owners:
            self._last_click[(event.visitor_id, event.partner_id)] = event.ts
        return []

    def order(self, event: OrderEvent) -> list[Flag]:
        flags = []
        code = event.coupon_code
        owner = None if code is None else self._coupon_owner.get(code)
        if owner is not None and code is not None and event.visitor_id is not None:
            last = self._last_click.get((event.visitor_id, owner))
            if last is None or last <= event.ts - self._lookback:
                flags.append(
                    flag(
                        "order",
                        event.order_id,
                        "coupon_without_click",
                        1,
                        1,
                        evidence=(code, owner),
                        partner_id=owner,
                    )
                )
        if self._sites and event.won is not None:
            host = _referrer_host(event.won.extras.get("referrer"))
            if host is not None and _is_site(host, self._sites):
                flags.append(
                    flag(
                        "order",
                        event.order_id,
                        "coupon_site_referrer",
                        1,
                        1,
                        evidence=(event.won.click_id, host),
                        partner_id=event.partner_id,
                    )
                )
        return flags

    def sweep(self, now: int) -> None:
        limit = now - self._lookback
        stale = [pair for pair, ts in self._last_click.items() if ts <= limit]
        for pair in stale:
            del self._last_click[pair]
