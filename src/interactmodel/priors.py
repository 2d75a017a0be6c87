"""Prior distributions of the Bayesian engine: a small frozen type, defaults and validation.

Every parameter class of the Bayesian cumulative-link model has a weakly informative default
(the brms classes they correspond to are given so that fits can be compared with brms):

=============  ====================  ==========================================  ============
key            default               what it is a prior of                       brms class
=============  ====================  ==========================================  ============
thresholds     normal(0, 2.5)        each ordered threshold theta_k              Intercept
b              normal(0, 2.5)        each fixed effect and each monotonic b      b
simplex        dirichlet(1)          the step shares zeta of each ``mo()`` term  simo
sd             halfnormal(1)         each group-level standard deviation         sd
cor            lkj(2)                group-level correlations (``(1 + x | g)``)  cor
=============  ====================  ==========================================  ============

A key can also name one parameter: ``"b[z]"`` (a fixed-effect column), ``"b[mo(x)]"`` (a
monotonic block), ``"simplex[mo(x)]"``, ``"sd[region]"`` or ``"cor[region]"``.

Examples
--------
>>> Prior("normal", mu=0, sigma=1)
Prior('normal', mu=0.0, sigma=1.0)
>>> Prior("halfnormal", sigma=0.5).describe()
'halfnormal(0.5)'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from interactmodel.errors import SpecificationError, format_values

__all__ = ["DEFAULT_PRIORS", "PRIOR_CLASSES", "Prior", "PriorSet", "resolve_priors"]


@dataclass(frozen=True)
class _DistInfo:
    """How a distribution name maps to PyMC and which parameters it takes."""

    pymc: str
    params: tuple[str, ...]
    defaults: tuple[tuple[str, float], ...]
    support: str  # "real", "positive", "simplex" or "correlation"
    positive: tuple[str, ...]  # parameters that must be > 0


_DISTRIBUTIONS: dict[str, _DistInfo] = {
    "normal": _DistInfo("Normal", ("mu", "sigma"), (("mu", 0.0),), "real", ("sigma",)),
    "student_t": _DistInfo(
        "StudentT", ("nu", "mu", "sigma"), (("mu", 0.0),), "real", ("nu", "sigma")
    ),
    "cauchy": _DistInfo("Cauchy", ("alpha", "beta"), (("alpha", 0.0),), "real", ("beta",)),
    "halfnormal": _DistInfo("HalfNormal", ("sigma",), (), "positive", ("sigma",)),
    "halfstudent_t": _DistInfo("HalfStudentT", ("nu", "sigma"), (), "positive", ("nu", "sigma")),
    "halfcauchy": _DistInfo("HalfCauchy", ("beta",), (), "positive", ("beta",)),
    "exponential": _DistInfo("Exponential", ("lam",), (), "positive", ("lam",)),
    "gamma": _DistInfo("Gamma", ("alpha", "beta"), (), "positive", ("alpha", "beta")),
    "dirichlet": _DistInfo("Dirichlet", ("a",), (("a", 1.0),), "simplex", ("a",)),
    "lkj": _DistInfo("LKJCorr", ("eta",), (("eta", 1.0),), "correlation", ("eta",)),
}

#: prior class -> (support its prior must have, brms class it corresponds to)
PRIOR_CLASSES: dict[str, tuple[str, str]] = {
    "thresholds": ("real", "Intercept"),
    "b": ("real", "b"),
    "simplex": ("simplex", "simo"),
    "sd": ("positive", "sd"),
    "cor": ("correlation", "cor"),
}


@dataclass(frozen=True, init=False, repr=False)
class Prior:
    """A prior distribution: a name and its parameters, immutable and validated.

    Parameters
    ----------
    dist : str
        One of ``normal``, ``student_t``, ``cauchy``, ``halfnormal``, ``halfstudent_t``,
        ``halfcauchy``, ``exponential``, ``gamma``, ``dirichlet``, ``lkj``.
    **params : float
        The distribution's parameters with PyMC's names (``mu``, ``sigma``, ``nu``, ``alpha``,
        ``beta``, ``lam``, ``a``, ``eta``).  ``mu``/``alpha`` of the location families default
        to 0 and ``a`` of the Dirichlet and ``eta`` of the LKJ to 1.  ``a`` may be a sequence
        (one concentration per step of a ``mo()`` term).

    Raises
    ------
    SpecificationError
        For an unknown distribution, an unknown or missing parameter, or an invalid value.

    Examples
    --------
    >>> Prior("student_t", nu=3, sigma=2.5).describe()
    'student_t(3, 0, 2.5)'
    >>> Prior("normal", mu=0, sigma=1) == Prior("normal", sigma=1)
    True
    """

    name: str
    items: tuple[tuple[str, float | tuple[float, ...]], ...]

    def __init__(self, dist: str, /, **params: Any) -> None:
        if not isinstance(dist, str) or dist.lower() not in _DISTRIBUTIONS:
            raise SpecificationError(
                f"prior distribution {dist!r} is not supported; use one of "
                f"{format_values(_DISTRIBUTIONS)}"
            )
        dist = dist.lower()
        info = _DISTRIBUTIONS[dist]
        unknown = sorted(set(params) - set(info.params))
        if unknown:
            raise SpecificationError(
                f"Prior({dist!r}) got unknown parameter(s) {format_values(unknown)}; "
                f"its parameters are {format_values(info.params)}"
            )
        values = dict(info.defaults) | params
        missing = [p for p in info.params if p not in values]
        if missing:
            raise SpecificationError(
                f"Prior({dist!r}) needs the parameter(s) {format_values(missing)}, e.g. "
                f"Prior({dist!r}, " + ", ".join(f"{p}=1" for p in missing) + ")"
            )
        checked = tuple((p, _check_value(dist, p, values[p], info)) for p in info.params)
        # frozen dataclass: the only way to set fields in a custom __init__
        object.__setattr__(self, "name", dist)
        object.__setattr__(self, "items", checked)

    @property
    def dist(self) -> str:
        """The distribution's name."""
        return self.name

    @property
    def params(self) -> dict[str, float | tuple[float, ...]]:
        """The parameters, as a new dict."""
        return dict(self.items)

    @property
    def support(self) -> str:
        """``"real"``, ``"positive"``, ``"simplex"`` or ``"correlation"``."""
        return _DISTRIBUTIONS[self.name].support

    @property
    def pymc_name(self) -> str:
        """The name of the PyMC distribution class."""
        return _DISTRIBUTIONS[self.name].pymc

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.items)
        return f"Prior({self.name!r}, {inner})"

    def describe(self) -> str:
        """Stan/brms-style text, e.g. ``normal(0, 2.5)``, as listed in result summaries."""
        if self.name == "normal":
            shown = [self.params["mu"], self.params["sigma"]]
        elif self.name == "student_t":
            shown = [self.params["nu"], self.params["mu"], self.params["sigma"]]
        else:
            shown = [v for _, v in self.items]
        return f"{self.name}(" + ", ".join(_fmt(v) for v in shown) + ")"


def _fmt(value: float | tuple[float, ...]) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:g}"


def _check_value(dist: str, name: str, value: Any, info: _DistInfo) -> float | tuple[float, ...]:
    if dist == "dirichlet" and name == "a" and isinstance(value, Sequence | np.ndarray):
        items = tuple(float(v) for v in np.asarray(value, dtype=float).ravel())
        if not items or not all(math.isfinite(v) and v > 0 for v in items):
            raise SpecificationError(
                f"Prior('dirichlet', a={value!r}): every concentration must be finite and > 0"
            )
        return items
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"Prior({dist!r}, {name}={value!r}): {name} must be a number"
        ) from None
    if not math.isfinite(number) or (name in info.positive and number <= 0):
        need = "finite and > 0" if name in info.positive else "finite"
        raise SpecificationError(f"Prior({dist!r}, {name}={value!r}): {name} must be {need}")
    return number


DEFAULT_PRIORS: dict[str, Prior] = {
    "thresholds": Prior("normal", mu=0.0, sigma=2.5),
    "b": Prior("normal", mu=0.0, sigma=2.5),
    "simplex": Prior("dirichlet", a=1.0),
    "sd": Prior("halfnormal", sigma=1.0),
    "cor": Prior("lkj", eta=2.0),
}


@dataclass(frozen=True, eq=False)
class PriorSet:
    """The resolved prior of every parameter of one model.

    Attributes
    ----------
    thresholds : Prior
    b : tuple of Prior
        One per fixed-effect column, in design order.
    b_mo : tuple of Prior
        One per monotonic block.
    simplex : tuple of Prior
        One per monotonic block.
    sd : tuple of Prior
        One per group term.
    cor : tuple of Prior
        One per group term (used only where the term has slopes).
    given : dict
        The user's overrides, by key, as given.
    """

    thresholds: Prior
    b: tuple[Prior, ...]
    b_mo: tuple[Prior, ...]
    simplex: tuple[Prior, ...]
    sd: tuple[Prior, ...]
    cor: tuple[Prior, ...]
    given: Mapping[str, Prior]

    def table(self) -> list[tuple[str, str, str]]:
        """(key, class, prior text) of every prior class and specific key in force."""
        rows = [(key, key, prior.describe()) for key, prior in self.defaults().items()]
        rows += [
            (key, key.split("[", 1)[0], prior.describe())
            for key, prior in self.given.items()
            if "[" in key
        ]
        return rows

    def defaults(self) -> dict[str, Prior]:
        """The class-wide priors after the user's overrides."""
        return {key: self.given.get(key, DEFAULT_PRIORS[key]) for key in DEFAULT_PRIORS}

    def signature(self) -> tuple[Any, ...]:
        """A hashable summary, so compiled models can be cached per prior choice."""
        return (self.thresholds, self.b, self.b_mo, self.simplex, self.sd, self.cor)


def resolve_priors(
    priors: Mapping[str, Prior] | None,
    *,
    coefficients: Iterable[str] = (),
    mo_blocks: Iterable[tuple[str, int]] = (),
    groups: Iterable[str] = (),
) -> PriorSet:
    """Check the user's prior overrides and give every parameter its prior.

    Parameters
    ----------
    priors : mapping of str to Prior, or None
        Overrides by key: a class (``"thresholds"``, ``"b"``, ``"simplex"``, ``"sd"``, ``"cor"``)
        or one parameter (``"b[z]"``, ``"b[mo(x)]"``, ``"simplex[mo(x)]"``, ``"sd[g]"``,
        ``"cor[g]"``).
    coefficients : iterable of str
        Fixed-effect column names.
    mo_blocks : iterable of (str, int)
        Name and number of steps D of each monotonic block.
    groups : iterable of str
        Grouping factor of each group term.

    Returns
    -------
    PriorSet

    Raises
    ------
    SpecificationError
        For an unknown key (the message lists the valid keys), a value that is not a
        :class:`Prior`, or a prior whose support does not fit its parameter.

    Examples
    --------
    >>> ps = resolve_priors({"b[z]": Prior("normal", sigma=1)}, coefficients=["z", "w"])
    >>> [p.describe() for p in ps.b]
    ['normal(0, 1)', 'normal(0, 2.5)']
    """
    coefficients, mo_blocks, groups = list(coefficients), list(mo_blocks), list(groups)
    given = dict(priors or {})
    valid = list(PRIOR_CLASSES)
    valid += [f"b[{c}]" for c in coefficients] + [f"b[{m}]" for m, _ in mo_blocks]
    valid += [f"simplex[{m}]" for m, _ in mo_blocks]
    valid += [f"sd[{g}]" for g in groups] + [f"cor[{g}]" for g in groups]
    for key, prior in given.items():
        if key not in valid:
            raise SpecificationError(
                f"priors has the unknown key {key!r}; the valid keys for this model are "
                f"{format_values(valid, limit=40)}"
            )
        if not isinstance(prior, Prior):
            raise SpecificationError(
                f"priors[{key!r}] must be a Prior, e.g. Prior('normal', mu=0, sigma=1), "
                f"got {prior!r}"
            )
        klass = key.split("[", 1)[0]
        need = PRIOR_CLASSES[klass][0]
        if prior.support != need:
            fits = [n for n, info in _DISTRIBUTIONS.items() if info.support == need]
            raise SpecificationError(
                f"priors[{key!r}] = {prior!r} has {prior.support} support, but {klass} needs a "
                f"prior with {need} support: one of {format_values(fits)}"
            )

    def pick(klass: str, name: str) -> Prior:
        return given.get(f"{klass}[{name}]", given.get(klass, DEFAULT_PRIORS[klass]))

    for name, steps in mo_blocks:
        a = pick("simplex", name).params["a"]
        if isinstance(a, tuple) and len(a) != steps:
            raise SpecificationError(
                f"the simplex prior of {name} has {len(a)} concentrations but the term has "
                f"{steps} steps; give a scalar a or {steps} values"
            )
    return PriorSet(
        thresholds=given.get("thresholds", DEFAULT_PRIORS["thresholds"]),
        b=tuple(pick("b", c) for c in coefficients),
        b_mo=tuple(pick("b", m) for m, _ in mo_blocks),
        simplex=tuple(pick("simplex", m) for m, _ in mo_blocks),
        sd=tuple(pick("sd", g) for g in groups),
        cor=tuple(pick("cor", g) for g in groups),
        given=given,
    )
