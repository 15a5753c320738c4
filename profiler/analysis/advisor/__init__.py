"""Which hardware should I use? Project a measured run onto hardware the user does not own.

Catalogue (``catalogue``: Epoch AI's accelerator data joined with the datasheet peak table,
CPUs, Apple GPUs, dated cloud prices, the user's ``hardware.json``), step census
(``census``: traffic, activations, launches per step), roofline and memory fit
(``roofline``), efficiencies from measurements or stated priors (``efficiency``),
projection (``project``), costs (``costs``), and the answer (``advise``: ranked rows, chart
points with the Pareto front, calibration, a recommendation). Every projected figure is a
``Band`` labelled "projected, not measured". Qt-free; no thread of its own.
"""

from profiler.analysis.advisor.advise import Advice, advise
from profiler.analysis.advisor.bands import PROJECTED, Band
from profiler.analysis.advisor.catalogue import Catalogue, credits, load_catalogue
from profiler.analysis.advisor.constraints import (
    AUTO,
    BUY,
    RENT,
    ConstraintError,
    Constraints,
    parse_budget,
    parse_deadline,
)
from profiler.analysis.advisor.epoch import EPOCH_CREDIT
from profiler.analysis.advisor.overrides import OverrideError, overrides_path
from profiler.analysis.advisor.row import Row

__all__ = [
    "AUTO", "BUY", "EPOCH_CREDIT", "PROJECTED", "RENT", "Advice", "Band", "Catalogue", "ConstraintError",
    "Constraints", "OverrideError", "Row", "advise", "credits", "load_catalogue", "overrides_path",
    "parse_budget", "parse_deadline",
]
