"""The optimizer (SPEC §4): the LP model over eligible pairs (``model``) and its solvers."""
