"""The scenario: schema, loading, units and money, distributions, overrides, description.

The model layer knows nothing of simulation.  It turns a TOML file (or a dict
of the same shape, following docs/MODEL.md) into a frozen, typed
:class:`Scenario`; every problem is one :class:`ConfigError` line.
"""

from sim.model.describe import describe_scenario, warnings
from sim.model.distributions import Dist, parse_dist
from sim.model.errors import TABLE_ARRAYS, ConfigError, ParameterError
from sim.model.labels import factor_label, key_unit, parameter_label, title_name
from sim.model.load import load_scenario, resolve_scenario_path, shipped_scenarios, validate_scenario
from sim.model.overrides import apply_overrides, override_keys, parse_override
from sim.model.parameters import (
    base_revenue, base_spend, bernoulli_parameters, fixed_costs, has_cloud, money_keys, uncertain_parameters,
    variable_share_max,
)
from sim.model.scaffold import scaffold_config
from sim.model.schema import Scenario
from sim.model.serialize import scenario_hash, scenario_to_dict, scenario_to_toml, toml_value
from sim.model.units import format_money, format_number, parse_money, parse_number

__all__ = [
    "factor_label",
    "key_unit",
    "parameter_label",
    "title_name",
    "TABLE_ARRAYS",
    "ConfigError",
    "Dist",
    "ParameterError",
    "Scenario",
    "apply_overrides",
    "base_revenue",
    "base_spend",
    "bernoulli_parameters",
    "describe_scenario",
    "fixed_costs",
    "format_money",
    "format_number",
    "has_cloud",
    "load_scenario",
    "money_keys",
    "override_keys",
    "parse_dist",
    "parse_money",
    "parse_number",
    "parse_override",
    "resolve_scenario_path",
    "scaffold_config",
    "scenario_hash",
    "scenario_to_dict",
    "scenario_to_toml",
    "shipped_scenarios",
    "toml_value",
    "uncertain_parameters",
    "validate_scenario",
    "variable_share_max",
    "warnings",
]
