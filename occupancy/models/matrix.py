"""The one array layout the detector reads: hourly energy, then hourly lights, per unit.

Keeping the window as a single 2D float array (NaN = not measured) is what lets the detector be
an ordinary scikit-learn ``Pipeline``: ``fit``, ``predict_proba``, ``clone`` and skops all work
on plain arrays, and nothing in ``occupancy.models`` has to know where the numbers came from.
"""

from __future__ import annotations

import numpy as np

from occupancy.timeseries import HourlyWindow

HOURS_PER_DAY = 24
#: Columns per day of window: 24 energy hours plus 24 lights hours.
COLUMNS_PER_DAY = 2 * HOURS_PER_DAY


def window_matrix(window: HourlyWindow) -> np.ndarray:
    """Stack a window into ``(n_units, 2 * 24 * days)``: energy (kWh) then lights share.

    Column ``h`` of each half is local hour ``h % 24`` because windows start at a local
    midnight. A trailing partial day is dropped so that every row holds whole days.

    Parameters
    ----------
    window : HourlyWindow
        Hourly energy (NaN where not measured) and lights share (NaN where not observed).

    Returns
    -------
    numpy.ndarray of float, shape (n_units, 2 * 24 * days)
    """
    hours = window.days * HOURS_PER_DAY
    if hours == 0:
        raise ValueError(
            f"the window holds {window.hours} hours; the detector needs at least one whole day"
        )
    energy = np.asarray(window.energy_kwh, dtype=float)[:, :hours]
    lights = np.asarray(window.lights_on, dtype=float)[:, :hours]
    return np.hstack([energy, lights])


def split_matrix(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undo ``window_matrix``: energy and lights as ``(n_units, days, 24)`` arrays each.

    Raises ``ValueError`` if the width is not a whole number of days, which is the usual sign
    that a caller passed a bare energy array instead of the stacked matrix.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"expected a 2D array (units x columns), got {X.ndim} dimensions")
    width = X.shape[1]
    if width == 0 or width % COLUMNS_PER_DAY:
        raise ValueError(
            f"expected 2 * 24 * days columns (energy hours, then lights hours), got {width}; "
            "build the matrix with occupancy.models.window_matrix"
        )
    days = width // COLUMNS_PER_DAY
    half = days * HOURS_PER_DAY
    shape = (X.shape[0], days, HOURS_PER_DAY)
    return X[:, :half].reshape(shape), X[:, half:].reshape(shape)
