"""Timing, results and the printed table shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "Measurement",
    "Mismatch",
    "Result",
    "check_equal",
    "format_table",
    "measure",
    "subsample_size",
]

T = TypeVar("T")


class Mismatch(AssertionError):
    """Two implementations that must agree did not; the benchmark's figures are void."""


@dataclass(frozen=True, slots=True)
class Measurement(Generic[T]):
    """Wall-clock times of repeated calls and the value the last call returned."""

    times: tuple[float, ...]
    value: T

    @property
    def seconds(self) -> float:
        """Median of the runs."""
        return statistics.median(self.times)


def measure(fn: Callable[[], T], repeats: int) -> Measurement[T]:
    """Call ``fn`` ``repeats`` times and record each call's `time.perf_counter` duration.

    The value of the last call is kept so that the caller can verify it; each earlier value
    is dropped before the next call starts.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    start = time.perf_counter()
    value = fn()
    times = [time.perf_counter() - start]
    for _ in range(repeats - 1):
        del value  # free the previous result before the next run allocates its own
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return Measurement(tuple(times), value)


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the table: a variant of a benchmark and its median time.

    Attributes:
        benchmark: What is computed (rows of one benchmark share this name).
        variant: Who computes it (``"alliance ..."`` or a baseline's name).
        rows: Rows the time stands for.
        seconds: Median seconds for ``rows`` rows; extrapolated linearly when
            ``measured_rows < rows``.
        runs: How many timed runs the median is over.
        measured_rows: Rows actually timed.
        baseline: Whether this is a baseline; the benchmark's non-baseline row is the subject
            that the ratios are taken against.
        note: Anything the figure needs to be read correctly (wrong results, extrapolation).
    """

    benchmark: str
    variant: str
    rows: int
    seconds: float
    runs: int
    measured_rows: int
    baseline: bool
    note: str = ""

    @classmethod
    def timed(
        cls,
        benchmark: str,
        variant: str,
        measurement: Measurement[T],
        *,
        rows: int,
        measured_rows: int | None = None,
        baseline: bool,
        note: str = "",
    ) -> Result:
        """Build from a measurement over ``measured_rows`` rows, scaled linearly to ``rows``."""
        timed_rows = rows if measured_rows is None else measured_rows
        if timed_rows <= 0:
            raise ValueError(f"measured_rows must be positive, got {timed_rows}")
        seconds = measurement.seconds * rows / timed_rows
        if timed_rows != rows:
            extra = f"extrapolated from {timed_rows:,} rows"
            note = f"{extra}; {note}" if note else extra
        return cls(
            benchmark,
            variant,
            rows,
            seconds,
            len(measurement.times),
            timed_rows,
            baseline,
            note,
        )

    @property
    def rows_per_second(self) -> float:
        """Throughput."""
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def subsample_size(rows: int, scale: float, *, full_scale: int = 100_000) -> int:
    """Rows for a slow Python-loop baseline: ``full_scale`` at scale 1, never below 10,000."""
    return min(rows, max(10_000, round(full_scale * min(scale, 1.0))))


def check_equal(
    what: str,
    expected: npt.NDArray[np.int64],
    actual: npt.NDArray[np.int64],
) -> None:
    """Raise `Mismatch`, naming the first differing rows, unless the arrays are equal."""
    if expected.shape != actual.shape:
        raise Mismatch(f"{what}: shapes differ, {expected.shape} vs {actual.shape}")
    differ = np.flatnonzero(expected != actual)
    if differ.size:
        shown = ", ".join(
            f"row {int(i)}: expected {int(expected[i])}, got {int(actual[i])}" for i in differ[:5]
        )
        raise Mismatch(f"{what}: {differ.size:,} of {expected.size:,} rows differ ({shown})")


def _seconds(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    if value >= 0.001:
        return f"{value:.4f}"
    return f"{value:.2e}"


def _rate(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _ratio(result: Result, subject: Result | None) -> str:
    if subject is None:
        return "-"
    # Per row, so that a baseline timed on other sizes still compares like with like.
    ratio = (result.seconds / result.rows) / (subject.seconds / subject.rows)
    if ratio >= 100:
        return f"{ratio:,.0f}x"
    if ratio >= 10:
        return f"{ratio:.1f}x"
    return f"{ratio:.2f}x"


HEADER = ("benchmark", "variant", "rows", "median s", "runs", "rows/s", "time / alliance", "note")


def format_table(results: Sequence[Result]) -> str:
    """Render results as an aligned text table, benchmarks in order of first appearance.

    The ``time / alliance`` column is each row's time per row divided by that of its
    benchmark's subject (non-baseline) row: ``250x`` means the baseline takes 250 times as
    long as `alliance`, ``0.40x`` that it takes 40% of the time.
    """
    subjects: dict[str, Result] = {}
    for result in results:
        if not result.baseline:
            subjects.setdefault(result.benchmark, result)
    lines: list[tuple[str, ...]] = [HEADER]
    previous = None
    for result in results:
        lines.append(
            (
                result.benchmark if result.benchmark != previous else "",
                result.variant,
                f"{result.rows:,}",
                _seconds(result.seconds),
                str(result.runs),
                _rate(result.rows_per_second),
                _ratio(result, subjects.get(result.benchmark)),
                result.note,
            )
        )
        previous = result.benchmark
    numeric = {2, 3, 4, 5, 6}
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER))]
    rendered = []
    for number, line in enumerate(lines):
        cells = [
            cell.rjust(width) if column in numeric and number else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        rendered.append("  ".join(cells).rstrip())
        if number == 0:
            rendered.append("  ".join("-" * width for width in widths))
    return "\n".join(rendered)
