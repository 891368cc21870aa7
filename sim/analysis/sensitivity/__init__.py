"""Which inputs drive the answer, and how sure we are of it.

Four analyses of one scenario and one metric (a per-path measure of
:mod:`sim.engine.measures`; ``sim sensitivity`` runs them, ``docs/SENSITIVITY.md``
explains them):

* **Tornado** (:mod:`.oat`): the metric with one uncertain input held at its
  P10 and at its P90 while every other input keeps its distribution; bars
  sorted by swing.
* **Spider** (:mod:`.oat`): the metric as each input is held at its P5, P10, ..., P95.
* **Rank correlations** (:mod:`.correlations`): per-path Spearman correlation
  of each input's draw with the path's minimum cash and breach indicator, and
  each input's share of the sum of squared correlations ("contribution to
  variance", as @RISK).
* **Sobol indices** (:mod:`.sobol`): first- and total-order indices of the
  metric as a function of the inputs (Saltelli 2010 and Jansen estimators,
  bootstrap CIs).

Every run uses the same seed and block size (:class:`Runner`, on
:func:`sim.engine.per_path.path_values`): the engine gives each (D) key its
own random stream and the step shocks and events their own, so holding one
input fixed leaves every other draw of every path unchanged (common random
numbers).  Differences between two runs are then measured path by path, with
much tighter intervals than two independent runs would give.
:func:`analyse` runs them all into a :class:`SensitivityResult` (tables,
text, JSON, files); :mod:`.plots` draws its figures.

>>> import sim, sim.analysis.sensitivity as ss
>>> scn = sim.load("pinterest_aws_2031")
>>> res = ss.analyse(scn, "p_cash_breach", paths=50_000, seed=0)   # doctest: +SKIP
>>> res.tornado_table().head()                                     # doctest: +SKIP
"""

from sim.analysis.sensitivity.analyse import DEFAULT_PATHS, analyse, planned_runs
from sim.analysis.sensitivity.correlations import (
    Correlations,
    correlation_targets,
    input_draws,
    rank_correlations,
    spearman,
    spearman_ci,
)
from sim.analysis.sensitivity.inputs import Input, uncertain_inputs
from sim.analysis.sensitivity.oat import (
    HIGH,
    LOW,
    PERCENTILES,
    Sweep,
    sweep,
    sweep_runs,
)
from sim.analysis.sensitivity.result import SensitivityResult, delta, formatter
from sim.analysis.sensitivity.runner import Runner
from sim.analysis.sensitivity.sobol import (
    BOOTSTRAP,
    SOBOL_PATHS,
    SobolResult,
    factors,
    inputs_from_uniform,
    saltelli_design,
    sobol_analysis,
    sobol_indices,
)
from sim.engine.measures import (
    MEASURES,
    Estimate,
    Frame,
    Measure,
    metric_names,
    resolve_metric,
)

__all__ = [
    "BOOTSTRAP",
    "DEFAULT_PATHS",
    "HIGH",
    "LOW",
    "MEASURES",
    "PERCENTILES",
    "SOBOL_PATHS",
    "Correlations",
    "Estimate",
    "Frame",
    "Input",
    "Measure",
    "Runner",
    "SensitivityResult",
    "SobolResult",
    "Sweep",
    "analyse",
    "correlation_targets",
    "delta",
    "factors",
    "formatter",
    "input_draws",
    "inputs_from_uniform",
    "metric_names",
    "planned_runs",
    "rank_correlations",
    "resolve_metric",
    "saltelli_design",
    "sobol_analysis",
    "sobol_indices",
    "spearman",
    "spearman_ci",
    "sweep",
    "sweep_runs",
    "uncertain_inputs",
]
