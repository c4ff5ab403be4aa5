"""Quantities in user units from the engine's scaled integers: one rule for every output."""

from __future__ import annotations

import numpy as np


def quantity(scaled: np.ndarray, decimals: int) -> np.ndarray:
    """Scaled integers back in user units: int64 when whole, else float64.

    >>> quantity(np.array([450, 3]), 0).tolist(), quantity(np.array([45, 3]), 1).tolist()
    ([450, 3], [4.5, 0.3])
    """
    return scaled if decimals == 0 else scaled / 10.0**decimals


def number(scaled: int | float | np.integer | np.floating, decimals: int) -> int | float:
    """One scaled total in user units: an int when whole, else a float.

    >>> number(450, 0), number(45, 1)
    (450, 4.5)
    """
    value = int(scaled)
    return value if decimals == 0 else value / 10**decimals
