"""Shared test configuration: hypothesis profiles.

``dev`` (the default) keeps the suite quick while editing; ``ci`` (``make test`` passes
``--hypothesis-profile=ci``) runs more examples and ignores the per-example deadline, which is
noise on a shared 2-core machine.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("dev")
