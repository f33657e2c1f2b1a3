"""Test support for code built on `alliance`: Hypothesis strategies for every public type.

`strategies` has one strategy per value, model and table (``strategies.orders()``,
``strategies.orders_tables()`` …); importing it, which importing this package does, registers
them with Hypothesis so ``st.from_type(al.Order)`` works. This package needs Hypothesis, the
``testing`` extra: ``pip install 'alliance[testing]'``.

Examples:
    >>> from hypothesis import given
    >>> from alliance.testing import strategies
    >>> @given(strategies.orders(currency="KWD"))
    ... def test_amounts_are_whole_fils(order):
    ...     assert order.money.is_whole()
    >>> test_amounts_are_whole_fils()
"""

from alliance.errors import MissingDependency

try:
    import hypothesis  # noqa: F401 - imported to fail early, with the install hint
except ImportError:
    raise MissingDependency(
        "alliance.testing needs hypothesis; install it with: pip install 'alliance[testing]'"
    ) from None

from alliance.testing import strategies

__all__ = ["strategies"]
