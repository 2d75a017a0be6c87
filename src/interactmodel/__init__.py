"""interactmodel: ordinal and Bayesian models for survey ratings of relationships.

The public API is imported lazily so that ``import interactmodel`` stays fast;
PyMC is loaded only when a Bayesian model is fitted.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it, or (module, attribute) when the names differ
_LAZY: dict[str, str | tuple[str, str]] = {
    "article": "interactmodel.article",
    "read_survey": "interactmodel.survey",
    "SurveySchema": "interactmodel.survey_schema",
    "audit_table": "interactmodel.audit",
    "audit_article": "interactmodel.audit",
    "ShareConstraint": "interactmodel.feasibility",
    # `interactmodel.reconstruct` is the module; its function `reconstruct` is exported under a
    # name that a later `import interactmodel.reconstruct` cannot shadow.
    "draw_reconstructions": ("interactmodel.reconstruct", "reconstruct"),
    "Reconstructions": "interactmodel.reconstruct",
    "OrdinalModel": "interactmodel.spec",
    "OrdinalClassifier": "interactmodel.sklearn",
    "MLResult": "interactmodel.results",
    "parse_formula": "interactmodel.formula",
    "build_design": "interactmodel.design",
    "save": "interactmodel.io",
    "load": "interactmodel.io",
    "SavedFitError": "interactmodel.errors",
    "fit_pooled": "interactmodel.pooling",
    "Prior": "interactmodel.priors",
    "BayesResult": "interactmodel.bayes_result",
    "pool_ml": "interactmodel.combine",
    "predictions": "interactmodel.effects",
    "comparisons": "interactmodel.effects",
    "odds_ratios": "interactmodel.effects",
    "article_checks": "interactmodel.checks",
    "simulate": ("interactmodel.simulation", "simulate"),
    "load_scenario": "interactmodel.scenario",
    "Scenario": "interactmodel.scenario",
    "reproduce": ("interactmodel.pipeline", "reproduce"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'interactmodel' has no attribute {name!r}")
    if isinstance(target, tuple):
        value = getattr(importlib.import_module(target[0]), target[1])
    else:
        module = importlib.import_module(target)
        value = module if target.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
