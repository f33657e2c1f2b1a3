"""Checks on partners as a whole, against their peers over the batch.

Duplicate identities and conversion-rate and reversal outliers (and, in
`alliance.risk._check_ctit`, click-to-order time profiles) compare a partner with the other
partners of the batch, so they run on the whole batch only:
their `stream` is ``None``. The statistics (robust z-scores, beta-binomial shrinkage, CUSUM and
EWMA charts) live in `alliance.risk._stats`; every flag here has the partner as its subject,
id and ``partner_id``.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from alliance.risk._check import Check
from alliance.risk._flags import Flags, reason
from alliance.risk._frame import Frame, column_codes
from alliance.risk._stats import (
    FloatArray,
    beta_binomial_prior,
    cusum,
    ewma,
    robust_z,
    shrunk_rate,
)
from alliance.risk._windows import IntArray, ObjArray

__all__ = ["ConversionOutlier", "DuplicateIdentity", "ReversalOutlier"]

_DAY = 86_400_000_000  # microseconds
_NEVER = np.iinfo(np.int64).max

reason(
    "duplicate_identity",
    "duplicate_identity",
    "partner",
    "shares a payout method, e-mail, tax id or device with earlier partner accounts",
    op=">=",
    unit="partners",
    action="review",
    weight=0.7,
)
reason(
    "conversion_rate_high",
    "conversion_outlier",
    "partner",
    "conversion rate far above its peers (robust z of the logit of the shrunk rate)",
    op=">",
    unit="z",
    action="allow",
    weight=0.5,
)
reason(
    "conversion_rate_low",
    "conversion_outlier",
    "partner",
    "many clicks converting far below its peers (robust z of the logit of the shrunk rate)",
    op="<",
    unit="z",
    action="allow",
    weight=0.5,
)
reason(
    "reversal_rate_high",
    "reversal_outlier",
    "partner",
    "shrunk reversal rate above a multiple of the peers' median",
    op=">",
    unit="",
    action="review",
    weight=0.6,
)
reason(
    "reversal_spike",
    "reversal_outlier",
    "partner",
    "control chart alarm on the reversal rate",
    op=">",
    unit="sigma",
    action="review",
    weight=0.4,
)


def _partner_flags(
    frame: Frame,
    partners: IntArray,
    code: str,
    *,
    observed: npt.ArrayLike,
    threshold: npt.ArrayLike,
    peer: npt.ArrayLike = np.nan,
    evidence: list[tuple[str, ...]],
) -> Flags:
    ids: ObjArray = frame.partner_ids[partners]
    return Flags.of(
        "partner",
        ids,
        code,
        observed=observed,
        threshold=threshold,
        peer=peer,
        evidence=evidence,
        partner_id=ids,
    )


def _versus_peers(
    score: FloatArray,
    report: FloatArray,
    members: npt.NDArray[np.bool_],
    peers: npt.NDArray[np.bool_],
    group: IntArray,
    min_peers: int,
) -> tuple[FloatArray, FloatArray]:
    """Robust z of ``score`` and the median of ``report`` among each member's peers.

    A member's peers are the ``peers`` of its group; a group with fewer than ``min_peers`` of
    them is compared with every peer instead, and with fewer than that in all, no member gets
    a score (NaN: never flagged).
    """
    z = np.full(score.size, np.nan)
    median = np.full(score.size, np.nan)
    enough = int(peers.sum()) >= min_peers
    for g in np.unique(group[members]).tolist():
        in_group = members & (group == g)
        reference = peers & (group == g)
        if int(reference.sum()) < min_peers:
            if not enough:
                continue
            reference = peers
        z[in_group] = robust_z(score[in_group], reference=score[reference])
        median[in_group] = np.median(report[reference])
    return z, median


def _partner_groups(frame: Frame, group_by: Literal["none", "kind", "group"]) -> IntArray:
    """Peer group code of each partner code (-1: not listed or no group, one group of its own)."""
    group = np.full(frame.partner_ids.size, -1, dtype=np.int64)
    if group_by == "none" or frame.partners is None:
        group[:] = 0
        return group
    codes, _ = frame.codes("partners", group_by)
    group[frame.partner_of_row] = codes
    return group


def _iso_day(day: int) -> str:
    return str(np.datetime64(day, "D"))


class DuplicateIdentity(Check):
    """Duplicate partner identity: accounts sharing a payout method, e-mail, tax id or device.

    For each field of ``fields`` the partners table has (``payment_fingerprint`` and
    ``email_hash`` are partner fields; ``tax_id`` and ``device_id`` are optional extra
    columns, skipped when absent), partners with the same value form a group. The partner that
    joined first keeps its account unflagged; every later one is flagged. Partners are ordered
    by ``joined_at``; a partner without ``joined_at`` counts as joining after every dated one;
    equal (or both missing) dates go by ``partner_id``. A partner sharing with its own
    sub-affiliate or parent (``parent_id``) is flagged all the same: one person running two
    accounts in one tree still collects two commissions. Missing and blank values are shared
    with nobody.

    Raises ``duplicate_identity`` (partner; threshold 1), one flag per later account:
    observed is the number of other accounts it shares any of the fields with, evidence for
    each field it shares as a later account the field's name then the other partner ids of
    that field's group, earliest first, e.g. ``("payment_fingerprint", "P1", "P7")``.

    Attributes:
        fields: Partner columns whose sharing reveals one owner (default
            ``payment_fingerprint``, ``email_hash``, ``tax_id``, ``device_id``).
    """

    check: Literal["duplicate_identity"] = "duplicate_identity"
    needs: ClassVar[tuple[str, ...]] = ("partners",)
    codes: ClassVar[tuple[str, ...]] = ("duplicate_identity",)

    fields: tuple[str, ...] = Field(
        default=("payment_fingerprint", "email_hash", "tax_id", "device_id"), min_length=1
    )

    @field_validator("fields")
    @classmethod
    def _distinct_names(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name or name == "partner_id" for name in fields):
            raise ValueError(f"fields must name identity columns, got {fields!r}")
        if len(set(fields)) != len(fields):
            raise ValueError(f"fields must be distinct, got {fields!r}")
        return fields

    def run(self, frame: Frame) -> Flags:
        partners = frame.partners
        if partners is None or len(partners) == 0:
            return Flags.empty()
        size = len(partners)
        ids = partners["partner_id"].astype(str)
        names: list[str] = ids.tolist()
        joined = partners["joined_at"].astype(np.int64)
        undated = partners.missing("joined_at")
        # Seniority: dated before undated, then by date, then by partner id.
        by_id = np.argsort(ids, kind="stable")
        id_rank = np.empty(size, dtype=np.int64)
        id_rank[by_id] = np.arange(size)
        seniority = np.empty(size, dtype=np.int64)
        seniority[np.lexsort((id_rank, np.where(undated, 0, joined), undated))] = np.arange(size)

        segments: dict[int, list[tuple[str, ...]]] = {}
        others: dict[int, set[int]] = {}
        for field in self.fields:
            if field not in partners:
                continue
            codes, categories = column_codes(partners, field)
            blank = np.array([not str(c).strip() for c in categories.tolist()], dtype=bool)
            if blank.any():
                codes = np.where((codes >= 0) & blank[np.maximum(codes, 0)], -1, codes)
            rows = np.flatnonzero(codes >= 0)
            rows = rows[np.lexsort((seniority[rows], codes[rows]))]
            grouped = codes[rows]
            starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
            ends = np.r_[starts[1:], rows.size]
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                if end - start < 2:
                    continue
                group = rows[start:end].tolist()
                for later in group[1:]:
                    rest = [row for row in group if row != later]
                    segments.setdefault(later, []).append((field, *(names[r] for r in rest)))
                    others.setdefault(later, set()).update(rest)
        if not segments:
            return Flags.empty()
        flagged = np.array(sorted(segments, key=lambda row: seniority[row]), dtype=np.int64)
        return _partner_flags(
            frame,
            frame.partner_of_row[flagged],
            "duplicate_identity",
            observed=np.array([len(others[row]) for row in flagged.tolist()], dtype=np.float64),
            threshold=1.0,
            evidence=[
                tuple(item for segment in segments[row] for item in segment)
                for row in flagged.tolist()
            ],
        )


class ConversionOutlier(Check):
    """Conversion-rate outliers: partners converting far above or below their peers.

    Per partner: its clicks, and the orders credited to it (``partner_id`` of the orders;
    orders beyond its clicks, e.g. from its coupon code without a click, cap its rate at 1).
    A beta-binomial prior is fitted by the method of moments over partners with at least one
    click (`beta_binomial_prior`), each partner's conversion rate is shrunk towards it
    (`shrunk_rate`: a partner with 3 clicks and 1 order is not a 33% converter), and the logit
    of the shrunk rate is scored by robust z (`robust_z`: median / MAD) against its peers:
    partners of the same ``group_by`` (kind by default; partners not in the partners table,
    or without a group, form a group of their own) with at least ``min_clicks`` clicks. A
    group with fewer than ``min_peers`` peers is compared with all partners with
    ``min_clicks`` clicks; with fewer than that in all, nobody is scored.

    Raises (partner; observed the robust z, peer the peers' median shrunk rate, evidence
    ``"{orders} orders / {clicks} clicks"``):

    - ``conversion_rate_high``: z > ``max_z`` (a partner converting implausibly well:
      injected or bought orders).
    - ``conversion_rate_low``: z < -``max_z`` and at least ``min_clicks`` clicks (many
      clicks that do not convert: click spam, cookie stuffing); threshold -``max_z``.

    Attributes:
        max_z: Robust z beyond which a rate is an outlier (default 3.5).
        min_clicks: Clicks a partner needs to be a peer, and to be flagged low (default 100).
        min_peers: Peers a group needs to be compared within itself (default 5).
        group_by: Peer groups: partners of the same ``"kind"``, of the same commission
            ``"group"``, or ``"none"`` (all partners).
    """

    check: Literal["conversion_outlier"] = "conversion_outlier"
    needs: ClassVar[tuple[str, ...]] = ("orders", "clicks")
    codes: ClassVar[tuple[str, ...]] = ("conversion_rate_high", "conversion_rate_low")

    max_z: float = Field(default=3.5, gt=0)
    min_clicks: int = Field(default=100, ge=1)
    min_peers: int = Field(default=5, ge=1)
    group_by: Literal["none", "kind", "group"] = "kind"

    def run(self, frame: Frame) -> Flags:
        span = frame.partner_ids.size
        click_partner = frame.click_partner
        order_partner = frame.order_partner
        clicks = np.bincount(click_partner[click_partner >= 0], minlength=span)
        orders = np.bincount(order_partner[order_partner >= 0], minlength=span)
        clicked = clicks >= 1
        if not clicked.any():
            return Flags.empty()
        converted = np.minimum(orders, clicks)
        alpha, beta = beta_binomial_prior(converted[clicked], clicks[clicked])
        rate = shrunk_rate(converted, clicks, alpha, beta)
        logit = np.log(rate) - np.log1p(-rate)
        peers = clicked & (clicks >= self.min_clicks)
        z, peer_rate = _versus_peers(
            logit, rate, clicked, peers, _partner_groups(frame, self.group_by), self.min_peers
        )
        with np.errstate(invalid="ignore"):
            high = np.flatnonzero(z > self.max_z)
            low = np.flatnonzero((z < -self.max_z) & peers)
        parts = []
        for code, rows, threshold in (
            ("conversion_rate_high", high, self.max_z),
            ("conversion_rate_low", low, -self.max_z),
        ):
            parts.append(
                _partner_flags(
                    frame,
                    rows,
                    code,
                    observed=z[rows],
                    threshold=threshold,
                    peer=peer_rate[rows],
                    evidence=[(f"{orders[p]} orders / {clicks[p]} clicks",) for p in rows.tolist()],
                )
            )
        return Flags.concat(parts)


class ReversalOutlier(Check):
    """Reversal outliers: partners whose orders are refunded, charged back or cancelled more.

    A reversed order is an order credited to the partner with at least one reversal of any
    kind (an order reversed several times counts once). Reversals of orders not in the batch
    are ignored.

    ``reversal_rate_high`` (partner): the partner's reversed orders / orders, shrunk by a
    beta-binomial prior fitted over partners with an order (`beta_binomial_prior`), is above
    ``ratio`` x the median shrunk rate of the peers (partners of its ``group_by`` with at
    least ``min_orders`` orders; at least ``min_peers`` of them, else all partners with that
    many), and the partner has ``min_orders`` orders.
    Observed the shrunk rate, threshold ``ratio`` x the median, peer the median; evidence
    ``"{reversed} of {orders} orders reversed"``.

    ``reversal_spike`` (partner, with ``min_orders`` orders): a control chart of the partner's
    daily reversal rate alarms. The days are ORDER days (UTC): a day's rate is the share of
    the orders the partner placed that day that were reversed since, a binomial proportion
    with a known number of trials. Its target is the pooled rate of the same day's orders of
    all partners, and sigma the binomial ``sqrt(p_t (1 - p_t) / orders)``. Days matter twice:
    recent orders have had less time to be refunded or charged back, and reversals come days
    to weeks after their order, so a series by reversal day over mean daily orders climbs
    from 0 for weeks, and against a fixed target the largest partners alarm for no reason
    (on a synthetic programme without fraud, a dozen of them did).
    Days are pooled into periods of ``w = ceil(min_expected_reversals / (p x mean daily
    orders))`` whole days from the partner's first order day (``p`` the pooled rate of the
    batch, mean daily orders the partner's orders over the days from its first to its last
    order day; one day for a partner with enough orders), so that a period expects about one
    reversed order: with one order every few days, a single reversal would otherwise be a
    3-sigma step. A period's target and sigma add up its days:
    ``target = sum(p_t n_t) / n``, ``sigma = sqrt(sum(p_t (1 - p_t) n_t)) / n``; periods
    without orders are skipped. The chart runs on ``(rate - target) / sigma``: a one-sided
    CUSUM (`cusum`, ``k``, ``h``; observed the highest statistic, threshold ``h``) or an EWMA
    (`ewma`, ``lam``, ``L``; observed the highest EWMA over its standard deviation, threshold
    ``L``). Peer: the partner's target over all its orders (the peers' rate on its order
    days); evidence: the last order day (ISO date) of the period in which it first alarmed.

    Attributes:
        ratio: Multiple of the peers' median reversal rate that flags (default 2).
        group_by: Peers of ``reversal_rate_high``: partners of the same ``"kind"`` (the
            default: cashback and creator traffic is refunded more than a coupon site's), of
            the same commission ``"group"``, or all (``"none"``); a group with fewer than
            ``min_peers`` peers is compared with all partners.
        min_z: Binomial z the partner's reversed orders must also reach against the peers'
            median rate, ``(reversed - n m) / sqrt(n m (1 - m))`` (default 3: with hundreds
            of partners a looser one flags some by chance; DOMAIN-style strict z is 4).
        min_orders: Orders a partner needs to be a peer and to be flagged (default 10).
        min_peers: Peers needed for ``reversal_rate_high`` (default 5).
        method: ``"cusum"`` (default) or ``"ewma"``.
        k: CUSUM allowance, in sigmas (default 0.5).
        h: CUSUM decision interval, in sigmas (default 5), for up to ``family`` partners
            charted; with ``n`` more, ``h + ln(n / family) / (2 k)``.
        family: Partners charted before the CUSUM interval starts to grow (default 100).
        lam: EWMA weight lambda (default 0.2).
        L: EWMA limit width, in standard deviations of the EWMA (default 3).
        min_expected_reversals: Reversed orders a period of the chart should expect at the
            pooled rate (default 1).
    """

    check: Literal["reversal_outlier"] = "reversal_outlier"
    needs: ClassVar[tuple[str, ...]] = ("orders", "reversals")
    codes: ClassVar[tuple[str, ...]] = ("reversal_rate_high", "reversal_spike")

    ratio: float = Field(default=2.0, gt=1)
    group_by: Literal["none", "kind", "group"] = "kind"
    min_z: float = Field(default=3.0, ge=0)
    min_orders: int = Field(default=10, ge=1)
    min_peers: int = Field(default=5, ge=1)
    method: Literal["cusum", "ewma"] = "cusum"
    k: float = Field(default=0.5, ge=0)
    h: float = Field(default=5.0, gt=0)
    family: int = Field(default=100, ge=1)
    lam: float = Field(default=0.2, gt=0, le=1)
    L: float = Field(default=3.0, gt=0)
    min_expected_reversals: float = Field(default=1.0, gt=0)

    def run(self, frame: Frame) -> Flags:
        span = frame.partner_ids.size
        partner = frame.order_partner
        credited = partner >= 0
        if not credited.any():
            return Flags.empty()
        reversed_ = credited & (_first_reversal(frame) < _NEVER)
        orders = np.bincount(partner[credited], minlength=span)
        reversed_orders = np.bincount(partner[reversed_], minlength=span)
        return Flags.concat(
            [
                self._rate_high(frame, orders, reversed_orders),
                self._spike(frame, orders, reversed_),
            ]
        )

    def _rate_high(self, frame: Frame, orders: IntArray, reversed_orders: IntArray) -> Flags:
        placed = orders >= 1
        alpha, beta = beta_binomial_prior(reversed_orders[placed], orders[placed])
        rate = shrunk_rate(reversed_orders, orders, alpha, beta)
        peers = orders >= self.min_orders
        if int(peers.sum()) < self.min_peers:
            return Flags.empty()
        overall = float(np.median(rate[peers]))
        median = np.full(rate.size, overall)
        group = _partner_groups(frame, self.group_by)
        for g in np.unique(group[peers]).tolist():
            mine = peers & (group == g)
            if g >= 0 and int(mine.sum()) >= self.min_peers:
                median[group == g] = float(np.median(rate[mine]))
        limit = self.ratio * median
        # A binomial z of the raw count against the peers' rate keeps big partners whose
        # rate is only a little high, by chance, from being flagged.
        expected = orders * median
        spread = np.sqrt(np.maximum(orders * median * (1 - median), 1e-12))
        z = (reversed_orders - expected) / spread
        rows = np.flatnonzero(peers & (rate > limit) & (z > self.min_z))
        return _partner_flags(
            frame,
            rows,
            "reversal_rate_high",
            observed=rate[rows],
            threshold=limit[rows],
            peer=median[rows],
            evidence=[
                (f"{reversed_orders[p]} of {orders[p]} orders reversed",) for p in rows.tolist()
            ],
        )

    def _spike(self, frame: Frame, orders: IntArray, reversed_: npt.NDArray[np.bool_]) -> Flags:
        candidates = np.flatnonzero(orders >= self.min_orders)
        partner = frame.order_partner
        credited = np.flatnonzero(partner >= 0)
        pooled = float(reversed_.sum()) / float(credited.size)
        if candidates.size == 0 or pooled == 0:
            return Flags.empty()
        day = frame.order_ts[credited] // _DAY
        origin = int(day.min())
        day -= origin
        owner = partner[credited]
        hit = reversed_[credited].astype(np.float64)
        # The peers' rate of each order day (every partner's orders of the day).
        day_orders = np.bincount(day)
        day_rate = np.bincount(day, hit) / np.maximum(day_orders, 1)

        slot = np.full(frame.partner_ids.size, -1, dtype=np.int64)
        slot[candidates] = np.arange(candidates.size)
        first_day = np.full(candidates.size, _NEVER, dtype=np.int64)
        last_day = np.full(candidates.size, -1, dtype=np.int64)
        row = slot[owner]
        mine = row >= 0
        row, day, hit = row[mine], day[mine], hit[mine]
        np.minimum.at(first_day, row, day)
        np.maximum.at(last_day, row, day)
        days = last_day - first_day + 1
        daily_orders = orders[candidates] / days
        width = np.maximum(
            1, np.ceil(self.min_expected_reversals / (pooled * daily_orders))
        ).astype(np.int64)
        step = (day - first_day[row]) // width[row]
        shape = (candidates.size, int((-(-days // width)).max()))
        placed, hits, expected, variance = (np.zeros(shape) for _ in range(4))
        p_day = day_rate[day]
        np.add.at(placed, (row, step), 1.0)
        np.add.at(hits, (row, step), hit)
        np.add.at(expected, (row, step), p_day)
        np.add.at(variance, (row, step), p_day * (1.0 - p_day))
        seen = variance > 0
        residual = np.full(shape, np.nan)
        residual[seen] = (hits[seen] - expected[seen]) / np.sqrt(variance[seen])
        if self.method == "cusum":
            # More partners charted, more chances of a false alarm: the interval grows by
            # ln(n / family) past ``family`` charts, which keeps the expected number of false
            # alarms over the programme about level (a chart's false-alarm run length grows
            # about as exp(2 k h)).
            h = self.h + max(0.0, math.log(candidates.size / self.family)) / (2 * self.k or 1.0)
            statistic, alarm = cusum(residual, target=0.0, sigma=1.0, k=self.k, h=h)
            threshold = h
        else:
            level, limit, alarm = ewma(residual, target=0.0, sigma=1.0, lam=self.lam, L=self.L)
            with np.errstate(invalid="ignore", divide="ignore"):
                statistic = np.where(limit > 0, level / (limit / self.L), np.nan)
            threshold = self.L
        alarmed = np.flatnonzero(alarm >= 0)
        period = alarm[alarmed]
        alarm_day = np.minimum(
            first_day[alarmed] + (period + 1) * width[alarmed] - 1, last_day[alarmed]
        )
        target = expected.sum(axis=1) / placed.sum(axis=1)
        return _partner_flags(
            frame,
            candidates[alarmed],
            "reversal_spike",
            observed=np.nanmax(statistic[alarmed], axis=1) if alarmed.size else [],
            threshold=threshold,
            peer=target[alarmed],
            evidence=[(_iso_day(origin + d),) for d in alarm_day.tolist()],
        )


def _first_reversal(frame: Frame) -> IntArray:
    """Per order, the instant of its first reversal (the int64 maximum when never reversed)."""
    first = np.full(frame.order_count, _NEVER, dtype=np.int64)
    if frame.orders is None or frame.reversals is None or len(frame.reversals) == 0:
        return first
    reversal_codes, reversal_order_ids = frame.reversals.codes("order_id")
    rows = np.append(frame.rows_of("order", reversal_order_ids), -1)[reversal_codes]
    has = rows >= 0
    np.minimum.at(first, rows[has], frame.reversals["ts"].astype(np.int64)[has])
    return first
