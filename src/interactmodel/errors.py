"""The exception and warning hierarchy of interactmodel.

Every error that interactmodel raises on purpose derives from
:class:`InteractModelError`.  Errors about the user's data also derive from
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do
not know this package.  Messages name the argument or column, the offending
value, the valid values and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "InteractModelError",
    "DataError",
    "SchemaError",
    "FormulaError",
    "SpecificationError",
    "FitError",
    "ScenarioError",
    "OutputExistsError",
    "SavedFitError",
    "NewerFormatError",
    "InteractModelWarning",
    "ConvergenceWarning",
    "SeparationWarning",
    "ReconstructionWarning",
    "format_rows",
    "format_values",
]


class InteractModelError(Exception):
    """Base class of every error interactmodel raises on purpose."""


class DataError(InteractModelError, ValueError):
    """The data given (a frame, a file, a column, a weight) cannot be used as it is."""


class SchemaError(DataError):
    """A column mapping or level order does not fit the data."""


class FormulaError(InteractModelError, ValueError):
    """A model formula cannot be parsed or refers to something that is not there."""


class SpecificationError(InteractModelError, ValueError):
    """A model specification is inconsistent (link, priors, engine, terms)."""


class FitError(InteractModelError, RuntimeError):
    """A model could not be fitted at all (as opposed to a convergence warning)."""


class ScenarioError(InteractModelError, ValueError):
    """A scenario file or object is invalid."""


class OutputExistsError(InteractModelError, FileExistsError):
    """An output folder or file exists and ``--force`` was not given."""


class SavedFitError(DataError):
    """A saved-fit folder is missing, incomplete, corrupt, unsafe or cannot be written."""


class NewerFormatError(SavedFitError):
    """A saved fit was written in a newer format than this interactmodel can read."""


class InteractModelWarning(UserWarning):
    """Base class of the warnings interactmodel raises."""


class ConvergenceWarning(InteractModelWarning):
    """An optimiser or sampler did not converge; the message carries the numbers."""


class SeparationWarning(ConvergenceWarning):
    """A predictor (quasi-)separates the outcome, so some estimates run off to infinity."""


class ReconstructionWarning(InteractModelWarning):
    """Results rest on reconstructed, not observed, respondent-level data."""


def format_values(values: Iterable[object], limit: int = 10) -> str:
    """Quote up to ``limit`` distinct values for an error message, in first-seen order."""
    seen: list[object] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    shown = ", ".join(repr(v) for v in seen[:limit])
    more = len(seen) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")


def format_rows(rows: Sequence[int], limit: int = 10) -> str:
    """Name up to ``limit`` row numbers (1-based, as a spreadsheet shows them)."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = len(rows) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")
