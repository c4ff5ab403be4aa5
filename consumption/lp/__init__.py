"""The optimizer (SPEC §4): the LP model over eligible pairs (``model``), its compact network
(``compact``), its solvers, and the same model as a PuLP problem (``pulp_problem``)."""

from consumption.lp.pulp_model import PulpModel, pulp_problem

__all__ = ["PulpModel", "pulp_problem"]
