"""Benchmarks for `alliance`, run with ``python -m benchmarks`` (or ``make bench``).

Each module ``bench_*.py`` in this package exposes ``run(scale: float) -> list[Result]``. Every
benchmark times `alliance` beside its baselines in the same process, so the figures that matter
are ratios, not absolute seconds. Benchmarks are not part of the test suite and CI never runs
them; ``python -m benchmarks --quick`` smoke-tests them in seconds.
"""
