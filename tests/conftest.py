"""Hypothesis profiles: "ci" by default, "thorough" (HYPOTHESIS_PROFILE=thorough) for local runs."""

import os

from hypothesis import settings

# Allocations of a few lots run in milliseconds, but CBC is a process per solve: no deadline.
settings.register_profile("ci", max_examples=150, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
