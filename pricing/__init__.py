"""maasmix.pricing: bundle design — scenarios, demand, the OR-Tools model, frontiers, reports."""

from maasmix.pricing.frontier import Frontier, FrontierPoint, frontier
from maasmix.pricing.results import Result
from maasmix.pricing.scenario import Scenario, load_scenario, parse_scenario, validate_scenario
from maasmix.pricing.solve.objectives import SolverOptions, optimise

__all__ = [
    "Frontier",
    "FrontierPoint",
    "Result",
    "Scenario",
    "SolverOptions",
    "frontier",
    "load_scenario",
    "optimise",
    "parse_scenario",
    "validate_scenario",
]
