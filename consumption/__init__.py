"""consumption: which lots demand with shelf-life requirements will consume.

>>> import consumption
>>> sorted(n for n in consumption.__all__ if not n[0].isupper())
['allocate', 'check', 'read_demand', 'read_inventory', 'read_lanes']
"""

from consumption.api import allocate, check
from consumption.errors import ConsumptionError, InputError, InvariantError, Problem, UsageError
from consumption.io.read import read_demand, read_inventory, read_lanes
from consumption.outputs.result import Result

__all__ = [
    "ConsumptionError",
    "InputError",
    "InvariantError",
    "Problem",
    "Result",
    "UsageError",
    "allocate",
    "check",
    "read_demand",
    "read_inventory",
    "read_lanes",
]
