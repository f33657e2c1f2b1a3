"""Run the benchmarks and print one table: ``python -m benchmarks [--scale S] [--only NAME]``."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np

import benchmarks
from benchmarks._harness import Result, format_table

Runner = Callable[[float], list[Result]]

QUICK_SCALE = 0.01


def discover() -> list[str]:
    """Names of the benchmark modules (``bench_*``) in this package, sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )


def load(name: str) -> Runner:
    """The ``run`` function of ``benchmarks.<name>``."""
    module = importlib.import_module(f"benchmarks.{name}")
    runner = getattr(module, "run", None)
    if not callable(runner):
        raise TypeError(f"benchmarks.{name} must define run(scale: float) -> list[Result]")
    return cast(Runner, runner)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time alliance beside its baselines and print one table of ratios.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the sizes the issues name (default 1.0: e.g. 10,000,000 rows)",
    )
    size.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test in seconds: the same as --scale {QUICK_SCALE}",
    )
    parser.add_argument(
        "--only",
        metavar="NAME",
        help="run only the modules whose name contains NAME (e.g. fx_allocate)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.scale = QUICK_SCALE
    if not args.scale > 0:
        parser.error(f"--scale must be positive, got {args.scale}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    names = discover()
    if args.only:
        names = [name for name in names if args.only in name]
        if not names:
            available = ", ".join(discover()) or "none"
            print(f"no benchmark module matches {args.only!r}; available: {available}")
            return 2
    results: list[Result] = []
    started = time.perf_counter()
    for name in names:
        print(f"running {name} at scale {args.scale:g} ...", file=sys.stderr, flush=True)
        results.extend(load(name)(args.scale))
    elapsed = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux (bytes on macOS); the figure is a guide, not a measurement.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_gib = peak / 2**30 if sys.platform == "darwin" else peak / 2**20
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, scale {args.scale:g}; "
        f"total {elapsed:.0f} s, peak RSS {peak_gib:.2f} GiB"
    )
    print("time / alliance: seconds per row divided by alliance's (250x = 250 times slower)")
    print()
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
