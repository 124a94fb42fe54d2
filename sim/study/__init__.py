"""Studies over many storm runs: a grid of scenario and board keys, seed replicates, running
statistics with Student t intervals, compare's paired test, on joblib or dask.distributed
(docs/storms.md "Studies")."""

from .grid import parse_values, parse_vary, point_scenario, replicate_seeds
from .study import Study, compare, knees

__all__ = ["Study", "compare", "knees", "parse_values", "parse_vary", "point_scenario",
           "replicate_seeds"]
