"""Quantities in user units from the engine's scaled integers: one rule for every output."""

from __future__ import annotations

from decimal import Decimal

import numpy as np


def quantity(scaled: np.ndarray, decimals: int) -> np.ndarray:
    """Scaled integers back in user units: int64 when whole, else float64.

    >>> quantity(np.array([450, 3]), 0).tolist(), quantity(np.array([45, 3]), 1).tolist()
    ([450, 3], [4.5, 0.3])
    """
    return scaled if decimals == 0 else scaled / 10.0**decimals


def number(scaled: int | float | np.integer | np.floating, decimals: int) -> int | Decimal:
    """One scaled total in user units, exactly: an int when whole, else a Decimal.

    A float would round totals of large fractional quantities (23842953391.627122
    comes back as ...62712), and then lot_qty = consumed + remaining no longer
    holds in the summary although it holds in the CSV files.

    >>> number(450, 0), number(45, 1), number(10_000_000, 6), number(23842953391627122, 6)
    (450, Decimal('4.5'), Decimal('10'), Decimal('23842953391.627122'))
    """
    value = int(scaled)
    if decimals == 0:
        return value
    exact = Decimal(value).scaleb(-decimals).normalize()
    # normalize() writes 10 as 1E+1; a whole number keeps its plain digits.
    exponent = exact.as_tuple().exponent
    return exact.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else exact
