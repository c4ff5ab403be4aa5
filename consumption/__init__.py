"""consumption: which lots demand with shelf-life requirements will consume.

>>> import consumption
>>> sorted(n for n in consumption.__all__ if not n[0].isupper())
['allocate', 'read_demand', 'read_inventory', 'read_lanes']
"""

from .api import allocate
from .errors import ConsumptionError, InputError, InvariantError, Problem, UsageError
from .reading import read_demand, read_inventory, read_lanes
from .result import Result

__all__ = [
    "ConsumptionError",
    "InputError",
    "InvariantError",
    "Problem",
    "Result",
    "UsageError",
    "allocate",
    "read_demand",
    "read_inventory",
    "read_lanes",
]
