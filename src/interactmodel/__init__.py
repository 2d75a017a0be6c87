"""interactmodel: ordinal and Bayesian models for survey ratings of relationships.

The public API is imported lazily so that ``import interactmodel`` stays fast;
PyMC and statsmodels are loaded only when a model is fitted.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "article": "interactmodel.article",
    "read_survey": "interactmodel.survey",
    "SurveySchema": "interactmodel.survey",
    "audit_table": "interactmodel.reconstruct",
    "audit_article": "interactmodel.reconstruct",
    "reconstruct": "interactmodel.reconstruct",
    "OrdinalModel": "interactmodel.spec",
    "OrdinalClassifier": "interactmodel.sklearn",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'interactmodel' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
