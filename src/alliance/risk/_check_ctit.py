"""The click-to-order profile of a partner's orders against its peers' (batch only).

A partner whose orders come within a minute of their click, more than a day after it, or only
ever after another partner's click, is unlike its peers: injection, spam and last-click
stealing show here even when each order alone looks ordinary.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from alliance.risk._check import Check
from alliance.risk._check_partners import _partner_flags
from alliance.risk._flags import Flags, reason
from alliance.risk._frame import Frame
from alliance.risk._stats import robust_z

__all__ = ["CtitProfile"]

reason(
    "ctit_short_share",
    "ctit_profile",
    "partner",
    "share of orders within a minute of their click far above its peers",
    op=">=",
    unit="",
    action="review",
    weight=0.7,
)
reason(
    "ctit_long_share",
    "ctit_profile",
    "partner",
    "share of orders more than a day after their click far above its peers",
    op=">=",
    unit="",
    action="review",
    weight=0.5,
)
reason(
    "stacked_share",
    "ctit_profile",
    "partner",
    "share of orders won by a click after another partner's click far above its peers",
    op=">=",
    unit="",
    action="review",
    weight=0.7,
)


class CtitProfile(Check):
    """Click-to-order time profile: a partner's share of very fast or very slow orders.

    Each order's CTIT is the time from its winning click (the last click of its partner by its
    visitor at or before it) to the order; orders without a winning click are left out. Per
    partner, the share of its orders with a CTIT under ``short_seconds`` and the share over
    ``long_seconds`` are scored by robust z (`robust_z`) against its peers: partners with at
    least ``peer_orders`` orders with a CTIT (at least ``min_peers`` of them). When the
    peers' median share and MAD are both 0 (nearly no peer has such orders), any share above
    0 scores z = inf. Only partners with ``min_orders`` such orders are flagged.

    Raises (partner; observed the share, threshold the minimum share, peer the peers' median
    share, evidence ``"{n} of {m} orders"``):

    - ``ctit_short_share``: share under ``short_seconds`` >= ``min_share`` and z > ``max_z``;
      catches click injection that keeps each CTIT just above the 10 s of
      `ClickInjection`.
    - ``ctit_long_share``: share over ``long_seconds`` >= ``min_long_share`` and z >
      ``max_z``: click spam, whose clicks convert long after they were made.
    - ``stacked_share``: share of orders whose winning click came after a click of another
      partner by the same visitor (within the look-back) >= ``min_stacked_share`` and z >
      ``max_z``: a partner that only ever wins journeys others started steals the last
      click (click spam and injection, however slow or rare its clicks).

    Attributes:
        short_seconds: A CTIT under this is short (default 60 s).
        long_seconds: A CTIT over this is long (default 86400 s, a day).
        min_share: Short share that flags, with the z-score (default 0.2).
        min_long_share: Long share that flags, with the z-score (default 0.5).
        min_stacked_share: Stacked share that flags, with the z-score (default 0.8).
        max_z: Robust z above which a share is an outlier (default 3.5).
        min_orders: Orders with a CTIT a partner needs to be flagged (default 5).
        peer_orders: Orders with a CTIT a partner needs to be a peer (default 10; never
            fewer than ``min_orders``): small partners' shares are too coarse to set the
            peers' spread.
        min_peers: Peers needed to score anybody (default 5).
    """

    check: Literal["ctit_profile"] = "ctit_profile"
    needs: ClassVar[tuple[str, ...]] = ("orders", "clicks")
    codes: ClassVar[tuple[str, ...]] = ("ctit_short_share", "ctit_long_share", "stacked_share")

    short_seconds: float = Field(default=60.0, gt=0)
    long_seconds: float = Field(default=86_400.0, gt=0)
    min_share: float = Field(default=0.2, gt=0, le=1)
    min_long_share: float = Field(default=0.5, gt=0, le=1)
    min_stacked_share: float = Field(default=0.8, gt=0, le=1)
    max_z: float = Field(default=3.5, gt=0)
    min_orders: int = Field(default=5, ge=1)
    peer_orders: int = Field(default=10, ge=1)
    min_peers: int = Field(default=5, ge=1)

    def run(self, frame: Frame) -> Flags:
        span = frame.partner_ids.size
        ctit = frame.ctit
        partner = frame.order_partner
        timed = ~np.isnan(ctit) & (partner >= 0)
        seconds, owner = ctit[timed], partner[timed]
        won = frame.winning_click[timed]
        other = frame.click_before_other_partner[won]
        stacked = other >= 0
        stacked[stacked] = (
            frame.click_ts[won[stacked]] - frame.click_ts[other[stacked]] < frame.lookback_us
        )
        total = np.bincount(owner, minlength=span)
        judged = total >= self.min_orders
        peers = total >= max(self.peer_orders, self.min_orders)
        if int(peers.sum()) < self.min_peers:
            return Flags.empty()
        parts = []
        for code, hits, min_share in (
            ("ctit_short_share", seconds < self.short_seconds, self.min_share),
            ("ctit_long_share", seconds > self.long_seconds, self.min_long_share),
            ("stacked_share", stacked, self.min_stacked_share),
        ):
            count = np.bincount(owner[hits], minlength=span)
            share = np.where(judged, count / np.maximum(total, 1), np.nan)
            reference = share[peers]
            median = float(np.median(reference))
            if median == 0 and float(np.median(np.abs(reference))) == 0:
                z = np.where(share > 0, np.inf, 0.0)
            else:
                z = robust_z(share, reference=reference)
            with np.errstate(invalid="ignore"):
                rows = np.flatnonzero(judged & (share >= min_share) & (z > self.max_z))
            parts.append(
                _partner_flags(
                    frame,
                    rows,
                    code,
                    observed=share[rows],
                    threshold=min_share,
                    peer=median,
                    evidence=[(f"{count[p]} of {total[p]} orders",) for p in rows.tolist()],
                )
            )
        return Flags.concat(parts)
