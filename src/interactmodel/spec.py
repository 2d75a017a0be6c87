"""The frozen model specification: :class:`OrdinalModel`.

A specification holds what the model *is* (formula, link, nominal terms, priors); fitting it
returns a new immutable result and never changes the specification or the data.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

from interactmodel.errors import FormulaError, SpecificationError
from interactmodel.formula import ParsedFormula, parse_formula
from interactmodel.links import LINKS, get_link

__all__ = ["ENGINES", "OrdinalModel"]

#: engine name -> module whose ``fit(spec, data, weights=None, **kwargs)`` fits the model
ENGINES = {"ml": "interactmodel.engines.ml", "bayes": "interactmodel.engines.bayes"}


@dataclass(frozen=True)
class OrdinalModel:
    """A cumulative-link (ordinal regression) model of an ordered outcome.

    The model, with the sign convention of ``MASS::polr`` and ``ordinal::clm``::

        link(P(Y <= k | x)) = theta_k - x' beta

    so a **positive coefficient moves ratings up** (towards higher categories).  Factors use
    treatment coding with their first level as the reference; the thresholds ``theta_k`` take
    the place of the intercept.

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"`` in Wilkinson syntax; the outcome must be an ordered categorical
        (or give ``levels``).  Besides ordinary terms (``x``, ``a:b``, ``a*b``, ``C(x)``):
        ``mo(x)`` / ``mo(x):g`` monotonic effects and ``(1 | g)`` / ``(1 + x | g)`` group-level
        effects, both for ``engine="bayes"`` only.
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}
        The inverse link ``F`` of ``P(Y <= k) = F(theta_k - x'beta)``, as in ``ordinal::clm``.
    nominal : str or list of str, optional
        Terms with threshold-specific effects (partial proportional odds), ``"~ contact"`` or
        ``["contact"]``: ``link(P(Y <= k)) = theta_k + w' gamma_k - x' beta``, as
        ``clm(..., nominal = ~ contact)``; ``gamma_k`` is *added to* threshold k.
    priors : mapping, optional
        Priors of the Bayesian engine (see :mod:`interactmodel.priors`); ignored by ``"ml"``.
    levels : sequence, optional
        Outcome levels from lowest to highest, when the outcome column is not an ordered
        categorical (a plain string column is rejected: its order would be a guess).

    Examples
    --------
    >>> import pandas as pd
    >>> levels = ["bad", "mixed", "good"]
    >>> data = pd.DataFrame({
    ...     "quality": pd.Categorical(
    ...         ["bad", "mixed", "good", "bad", "bad", "good", "mixed", "good", "bad", "good"] * 3,
    ...         levels, ordered=True),
    ...     "contact": (["rare"] * 5 + ["often"] * 5) * 3,
    ... })
    >>> result = OrdinalModel("quality ~ contact").fit(data)
    >>> bool(result.params["contact[T.rare]"] < 0)   # rare contact: lower ratings
    True
    """

    formula: str
    link: str = "logit"
    nominal: str | tuple[str, ...] | None = None
    priors: Mapping[str, Any] | None = None
    levels: tuple[Any, ...] | None = None
    parsed: ParsedFormula = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parsed", parse_formula(self.formula))
        if not isinstance(self.link, str) or self.link not in LINKS:
            get_link(self.link if isinstance(self.link, str) else repr(self.link))
        object.__setattr__(self, "nominal", _normalise_nominal(self.nominal))
        if self.priors is not None:
            if not isinstance(self.priors, Mapping):
                raise SpecificationError(
                    f"priors must be a mapping like {{'b': Prior('normal', sigma=1)}}, "
                    f"got {type(self.priors).__name__}"
                )
            object.__setattr__(self, "priors", MappingProxyType(dict(self.priors)))
        if self.levels is not None:
            if isinstance(self.levels, str) or not isinstance(self.levels, Sequence):
                raise SpecificationError(
                    f"levels must be a list of outcome levels from lowest to highest, "
                    f"got {self.levels!r}"
                )
            object.__setattr__(self, "levels", tuple(self.levels))

    def fit(
        self,
        data: pd.DataFrame,
        engine: str = "ml",
        weights: str | Sequence[float] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Fit the model and return a new immutable result; ``data`` is not modified.

        Parameters
        ----------
        data : DataFrame
            One row per response (or per weighted pattern).
        engine : {"ml", "bayes"}
            ``"ml"``: maximum likelihood (:mod:`interactmodel.engines.ml`).  ``"bayes"``: PyMC
            (:mod:`interactmodel.engines.bayes`), loaded only when asked for; ``kwargs`` go to
            it (``draws``, ``tune``, ``chains``, ``seed``, ``priors``, ``nuts_sampler``).
        weights : str or array-like, optional
            Frequency weights: a column name or one number per row, finite and >= 0 (rows of
            weight 0 are dropped).  Rows are collapsed to covariate cells, so weighted data give
            exactly the fit of the expanded data.  Non-integer weights are accepted, as
            ``ordinal::clm`` and ``MASS::polr`` accept them: the estimates depend only on the
            relative weights, while the log-likelihood and the standard errors count
            ``sum(weights)`` observations (weights ``w / 2`` halve the log-likelihood and
            multiply the standard errors by sqrt(2)).  Rescale survey weights to sum to the
            number of respondents, and read their standard errors as model-based, not
            design-based.

        Returns
        -------
        MLResult (engine "ml") or the Bayesian engine's result.
        """
        if engine not in ENGINES:
            raise SpecificationError(
                f"engine={engine!r} is not known; use one of {', '.join(map(repr, ENGINES))}"
            )
        module = importlib.import_module(ENGINES[engine])
        return module.fit(self, data, weights=weights, **kwargs)

    def update(self, **changes: Any) -> OrdinalModel:
        """A copy with some fields changed, e.g. ``spec.update(link="probit")``."""
        return replace(self, **changes)


def _normalise_nominal(nominal: Any) -> str | tuple[str, ...] | None:
    if nominal is None:
        return None
    if isinstance(nominal, str):
        text = nominal.strip()
        if not text.lstrip("~").strip():
            raise FormulaError(f"nominal={nominal!r} names no term; use e.g. '~ contact'")
        return text
    if isinstance(nominal, Sequence) and all(isinstance(n, str) for n in nominal):
        if not nominal:
            return None
        return tuple(nominal)
    raise FormulaError(
        f"nominal must be a formula like '~ contact' or a list of column names, got {nominal!r}"
    )
