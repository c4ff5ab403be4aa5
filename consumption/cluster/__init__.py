"""The same engine on a Dask cluster: inputs partitioned by item, one allocation per partition.

Items never share lots or demand (lanes connect locations of one item), so a
run splits into independent partitions once both tables are partitioned by
item. Needs the ``cluster`` extra (``dask[distributed]``); without it,
:mod:`consumption.cluster.run` raises a
:class:`~consumption.errors.MissingDependencyError` that says how to install it.
"""

from __future__ import annotations

from consumption.errors import MissingDependencyError

EXTRA_HINT = "install the cluster extra: pip install 'consumption[cluster]'"


def missing_extra(error: ImportError) -> MissingDependencyError:
    """The error to raise when a module of the ``cluster`` extra cannot be imported."""
    name = error.name or "a package"
    return MissingDependencyError(f"running on a cluster needs {name}, not installed; {EXTRA_HINT}")
