"""Partnership scenarios: who is in the population, how often they meet a partner, what changes.

A scenario file (TOML, see ``models/scenarios/*.toml``) describes

* the **population**: its size (default: the 18,306 NGOs registered in 2022) and regional
  shares (default: the registry's shares printed in the article, Nur-Sultan 36%, Almaty 19%,
  Karaganda region 17%, East Kazakhstan region 15% and "other regions" 13%);
* the **partner** whose contact frequency the scenario is about (``"state"`` or
  ``"business"``; the two contact scales are different and never mixed);
* the **baseline** distribution of contact frequency: by default that of the data the model
  was fitted to (``source = "fit"``), or the average over reconstructions of the article's
  tables (``"article"``), or given, overall and/or per region;
* one or more **policies**, each a list of **interventions** applied in order: move a share
  of the NGOs at one frequency level to another (``type = "move"``), or set the distribution
  of frequency (``type = "set"``), in every region or in the regions named.

Why "other regions" is split: the registry names four regions and lumps the rest as "other
regions, 13%", while the survey's six regions are those four plus Almaty region and Kostanay
region.  The model can only predict for regions it has seen, so the 13% is given to the two
remaining sample regions, equally by default (``population.other_regions`` changes the
split).  They stand in for every other region of the country: an assumption, stated here.

Counts are whole NGOs.  Regions get ``size x share`` NGOs and each region's frequency levels
``region size x distribution``, both rounded by the largest-remainder method so they add up
exactly; a move takes ``round(share x count)`` NGOs (half up) from a cell, and a set
distribution is rounded like the baseline.  Interventions change only the cells they touch.

Every error names the key in the file (``interventions[0].from``), the value and the fix.

Examples
--------
>>> scenario = Scenario.from_dict({
...     "name": "quarterly",
...     "partner": "state",
...     "baseline": {"distribution": {"very_rarely": 0.5, "once_a_year": 0.5}},
...     "interventions": [
...         {"type": "move", "from": "once_a_year", "to": "once_a_quarter", "share": 0.3}
...     ],
... })
>>> scenario.policies[0].interventions[0].share
0.3
>>> round(scenario.region_shares["almaty_region"], 3)
0.065
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from interactmodel import article
from interactmodel.errors import ScenarioError, format_values

__all__ = [
    "BASELINE_SOURCES",
    "EXAMPLES_DIR",
    "Move",
    "Policy",
    "Scenario",
    "SetDistribution",
    "composition",
    "largest_remainder",
    "load_scenario",
    "registry_region_shares",
]

#: where the baseline frequency distribution comes from when it is not given
BASELINE_SOURCES = ("fit", "article")
#: sample regions that may stand in for the registry's "other regions"
OTHER_REGION_CANDIDATES = ("almaty_region", "kostanay_region")
SHARE_TOLERANCE = 1e-4
#: the example scenarios shipped with the repository (``models/scenarios``)
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "models" / "scenarios"

_TOP_KEYS = (
    "name",
    "description",
    "partner",
    "population",
    "baseline",
    "interventions",
    "policies",
)
_POPULATION_KEYS = ("size", "region_shares", "other_regions")
_BASELINE_KEYS = ("source", "distribution", "by_region")
_POLICY_KEYS = ("name", "description", "interventions")
_MOVE_KEYS = ("type", "from", "to", "share", "regions")
_SET_KEYS = ("type", "distribution", "regions")


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class Move:
    """Move ``share`` of the NGOs at contact level ``source`` to level ``target``.

    ``regions`` None means every region (the same share in each).
    """

    source: str
    target: str
    share: float
    regions: tuple[str, ...] | None = None

    def describe(self) -> str:
        where = "every region" if self.regions is None else ", ".join(self.regions)
        return f"move {self.share:.0%} of '{self.source}' to '{self.target}' ({where})"


@dataclass(frozen=True)
class SetDistribution:
    """Give the NGOs of ``regions`` (None: every region) this contact-frequency distribution."""

    distribution: Mapping[str, float]
    regions: tuple[str, ...] | None = None

    def describe(self) -> str:
        where = "every region" if self.regions is None else ", ".join(self.regions)
        shares = ", ".join(f"{k} {v:.0%}" for k, v in self.distribution.items() if v > 0)
        return f"set the distribution to {shares} ({where})"


Intervention = Move | SetDistribution


@dataclass(frozen=True)
class Policy:
    """A named list of interventions, applied in order to the baseline population."""

    name: str
    description: str = ""
    interventions: tuple[Intervention, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: population, partner, baseline and policies.

    Build one with :func:`load_scenario` (a TOML file) or :meth:`Scenario.from_dict`.

    Attributes
    ----------
    name, description : str
    partner : {"state", "business"}
    population_size : int
    region_shares : mapping
        Sample region code -> share of the population (sums to 1, in ``SAMPLE_REGIONS`` order).
    region_shares_source : str
        How the shares were set (``"registry"`` with the split of "other regions", or
        ``"given"``).
    baseline_source : {"fit", "article"}
        Where the baseline frequency distribution comes from where it is not given.
    baseline_distribution : mapping or None
        Contact level -> share, for every region not in ``baseline_by_region``.
    baseline_by_region : mapping
        Region -> (contact level -> share).
    policies : tuple of Policy
    path : str or None
        The file read, if any.
    """

    name: str
    partner: str
    description: str = ""
    population_size: int = article.REGISTERED_NGOS
    region_shares: Mapping[str, float] = field(default_factory=lambda: registry_region_shares())
    region_shares_source: str = "registry"
    baseline_source: str = "fit"
    baseline_distribution: Mapping[str, float] | None = None
    baseline_by_region: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    policies: tuple[Policy, ...] = ()
    path: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str | None = None) -> Scenario:
        """Validate a parsed scenario (as :func:`tomllib.load` returns it).

        Raises
        ------
        ScenarioError
            Naming the key, the bad value and the fix.
        """
        return _parse(data, path)

    @property
    def frequency_levels(self) -> tuple[str, ...]:
        """The partner's contact-frequency scale, least to most frequent."""
        return article.FREQUENCY_LEVELS[self.partner]

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(self.region_shares)

    @property
    def policy_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.policies)

    @property
    def uses_baseline_source(self) -> bool:
        """True when some region's baseline is not given, so it comes from ``baseline_source``."""
        return self.baseline_distribution is None and set(self.baseline_by_region) != set(
            self.regions
        )

    def to_dict(self) -> dict[str, Any]:
        """The validated settings, ready for ``json.dumps``."""
        return {
            "name": self.name,
            "description": self.description,
            "path": self.path,
            "partner": self.partner,
            "population_size": self.population_size,
            "region_shares": dict(self.region_shares),
            "region_shares_source": self.region_shares_source,
            "baseline_source": self.baseline_source,
            "baseline_distribution": (
                None if self.baseline_distribution is None else dict(self.baseline_distribution)
            ),
            "baseline_by_region": {r: dict(d) for r, d in self.baseline_by_region.items()},
            "policies": [
                {
                    "name": p.name,
                    "description": p.description,
                    "interventions": [i.describe() for i in p.interventions],
                }
                for p in self.policies
            ],
        }


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, is not TOML, or breaks a rule (the message names the key).

    Examples
    --------
    >>> scenario = load_scenario(EXAMPLES_DIR / "state_quarterly_contact.toml")
    >>> scenario.partner
    'state'
    """
    path = Path(path)
    if path.is_dir():
        raise ScenarioError(
            f"{path} is a folder, not a scenario file; give the path of a .toml file"
        )
    if not path.is_file():
        raise ScenarioError(f"scenario file {path} does not exist; give the path of a .toml file")
    try:
        # utf-8-sig: Windows Notepad may put a byte-order mark first, which tomllib rejects
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        # TOML files are UTF-8 by definition; a cp1251 file from a Russian/Kazakh Windows is not
        raise ScenarioError(
            f"{path} is not UTF-8 text (the byte 0x{exc.object[exc.start]:02x} at position "
            f"{exc.start} cannot be decoded), and TOML files must be UTF-8; save it as UTF-8 "
            "(in Notepad: Save as, Encoding UTF-8)"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}") from exc
    return _parse(data, str(path))


# --------------------------------------------------------------------------- parsing


def _fail(key: str, problem: str, fix: str) -> ScenarioError:
    return ScenarioError(f"{key}: {problem}; {fix}")


def _check_keys(table: Any, key: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise _fail(key or "scenario", f"must be a table, got {table!r}", "see models/scenarios/")
    unknown = [k for k in table if k not in allowed]
    if unknown:
        where = f"{key}.{unknown[0]}" if key else str(unknown[0])
        raise _fail(
            where,
            f"unknown key {format_values(unknown)}",
            f"use only {format_values(allowed)}",
        )
    return table


def _text(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise _fail(where, f"must be a non-empty string, got {value!r}", "quote it in the file")
    return value


def _share(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(key, f"must be a number between 0 and 1, got {value!r}", "write e.g. 0.3")
    if value < 0:
        raise _fail(key, f"is negative ({value!r})", "shares must be between 0 and 1")
    if value > 1:
        raise _fail(key, f"is above 1 ({value!r})", "write shares as fractions, e.g. 0.3 for 30%")
    return float(value)


def _level(value: Any, key: str, partner: str) -> str:
    levels = article.FREQUENCY_LEVELS[partner]
    if value in levels:
        return str(value)
    other = [p for p, lv in article.FREQUENCY_LEVELS.items() if p != partner and value in lv]
    hint = f" ({value!r} is on the {other[0]} scale, a different scale)" if other else ""
    raise _fail(
        key,
        f"unknown contact level {value!r} for partner {partner!r}{hint}",
        f"use one of {format_values(levels)}",
    )


def _region(value: Any, key: str) -> str:
    if value in article.SAMPLE_REGIONS:
        return str(value)
    raise _fail(
        key, f"unknown region {value!r}", f"use one of {format_values(article.SAMPLE_REGIONS)}"
    )


def _distribution(
    table: Any, key: str, valid: Sequence[str], check: Any = None
) -> MappingProxyType[str, float]:
    """A table of shares over ``valid`` (missing keys are 0) that sums to 1."""
    if not isinstance(table, Mapping) or not table:
        raise _fail(key, f"must be a table of shares, got {table!r}", "write {level = share, ...}")
    values = {}
    for name, value in table.items():
        checked = check(name, f"{key}.{name}") if check else name
        values[checked] = _share(value, f"{key}.{name}")
    total = sum(values.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise _fail(
            key,
            f"shares sum to {total:.6g}, not 1",
            "make them add up to 1 (missing levels count as 0)",
        )
    return MappingProxyType({v: values.get(v, 0.0) / total for v in valid})


def _regions_of(table: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    if "regions" not in table:
        return None
    value = table["regions"]
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise _fail(
            f"{key}.regions",
            f"must be a region or a non-empty list of regions, got {value!r}",
            "leave it out to mean every region",
        )
    regions = tuple(_region(r, f"{key}.regions[{i}]") for i, r in enumerate(names))
    return tuple(r for r in article.SAMPLE_REGIONS if r in regions)


def _intervention(table: Any, key: str, partner: str) -> Intervention:
    if not isinstance(table, Mapping):
        raise _fail(key, f"must be a table, got {table!r}", "write [[interventions]] tables")
    kind = table.get("type")
    if kind == "move":
        _check_keys(table, key, _MOVE_KEYS)
        for needed in ("from", "to", "share"):
            if needed not in table:
                raise _fail(f"{key}.{needed}", "is missing", "a move needs from, to and share")
        source = _level(table["from"], f"{key}.from", partner)
        target = _level(table["to"], f"{key}.to", partner)
        if source == target:
            raise _fail(f"{key}.to", f"equals from ({source!r})", "move NGOs to another level")
        return Move(source, target, _share(table["share"], f"{key}.share"), _regions_of(table, key))
    if kind == "set":
        _check_keys(table, key, _SET_KEYS)
        if "distribution" not in table:
            raise _fail(f"{key}.distribution", "is missing", "a set needs a distribution")
        levels = article.FREQUENCY_LEVELS[partner]
        dist = _distribution(
            table["distribution"],
            f"{key}.distribution",
            levels,
            lambda v, k: _level(v, k, partner),
        )
        return SetDistribution(dist, _regions_of(table, key))
    raise _fail(
        f"{key}.type",
        f"unknown intervention type {kind!r}",
        "use 'move' (with from, to, share) or 'set' (with distribution)",
    )


def _interventions(value: Any, key: str, partner: str) -> tuple[Intervention, ...]:
    if not isinstance(value, list):
        raise _fail(key, f"must be a list of tables, got {value!r}", "write [[interventions]]")
    return tuple(_intervention(t, f"{key}[{i}]", partner) for i, t in enumerate(value))


def _policies(data: Mapping[str, Any], name: str, partner: str) -> tuple[Policy, ...]:
    if "interventions" in data and "policies" in data:
        raise _fail(
            "interventions",
            "is given next to [[policies]]",
            "put the interventions inside the policies, or drop [[policies]]",
        )
    if "interventions" in data:
        description = data.get("description", "")
        return (
            Policy(
                name, description, _interventions(data["interventions"], "interventions", partner)
            ),
        )
    raw = data.get("policies", [])
    if not isinstance(raw, list):
        raise _fail("policies", f"must be a list of tables, got {raw!r}", "write [[policies]]")
    policies: list[Policy] = []
    for i, table in enumerate(raw):
        key = f"policies[{i}]"
        table = _check_keys(table, key, _POLICY_KEYS)
        policy_name = _text(table, "name", f"{key}.name")
        if policy_name == "baseline" or policy_name in (p.name for p in policies):
            raise _fail(
                f"{key}.name",
                f"{policy_name!r} is taken (by the baseline or another policy)",
                "give each policy its own name",
            )
        policies.append(
            Policy(
                policy_name,
                _text(table, "description", f"{key}.description", default=""),
                _interventions(table.get("interventions", []), f"{key}.interventions", partner),
            )
        )
    return tuple(policies)


def _population(data: Mapping[str, Any]) -> tuple[int, MappingProxyType[str, float], str]:
    table = _check_keys(data.get("population", {}), "population", _POPULATION_KEYS)
    size = table.get("size", article.REGISTERED_NGOS)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise _fail("population.size", f"must be a whole number >= 1, got {size!r}", "e.g. 18306")
    shares = table.get("region_shares", "registry")
    if shares == "registry":
        split = table.get("other_regions", {r: 0.5 for r in OTHER_REGION_CANDIDATES})
        other = _distribution(
            split,
            "population.other_regions",
            OTHER_REGION_CANDIDATES,
            lambda v, k: _other_region(v, k),
        )
        label = "registry (other regions: " + ", ".join(f"{r} {s:.0%}" for r, s in other.items())
        return size, registry_region_shares(other), label + ")"
    if "other_regions" in table:
        raise _fail(
            "population.other_regions",
            "applies only to region_shares = 'registry'",
            "drop it, or put the shares of those regions in region_shares",
        )
    if isinstance(shares, str):
        raise _fail(
            "population.region_shares",
            f"unknown value {shares!r}",
            "use 'registry' or a table of the six sample regions' shares",
        )
    dist = _distribution(shares, "population.region_shares", article.SAMPLE_REGIONS, _region)
    return size, dist, "given"


def _other_region(value: Any, key: str) -> str:
    if value in OTHER_REGION_CANDIDATES:
        return str(value)
    raise _fail(
        key,
        f"{value!r} cannot stand in for the registry's 'other regions'",
        f"use {format_values(OTHER_REGION_CANDIDATES)} (the sample regions the registry does not "
        "name)",
    )


def _baseline(
    data: Mapping[str, Any], partner: str
) -> tuple[str, MappingProxyType[str, float] | None, MappingProxyType[str, Any]]:
    table = _check_keys(data.get("baseline", {}), "baseline", _BASELINE_KEYS)
    source = table.get("source", "fit")
    if source not in BASELINE_SOURCES:
        raise _fail(
            "baseline.source",
            f"unknown source {source!r}",
            f"use one of {format_values(BASELINE_SOURCES)} or give baseline.distribution",
        )
    levels = article.FREQUENCY_LEVELS[partner]

    def check(v: Any, k: str) -> str:
        return _level(v, k, partner)

    overall = None
    if "distribution" in table:
        overall = _distribution(table["distribution"], "baseline.distribution", levels, check)
    by_region = {}
    regions = table.get("by_region", {})
    if not isinstance(regions, Mapping):
        raise _fail("baseline.by_region", f"must be a table, got {regions!r}", "see the examples")
    for region, dist in regions.items():
        key = f"baseline.by_region.{region}"
        by_region[_region(region, key)] = _distribution(dist, key, levels, check)
    return str(source), overall, MappingProxyType(by_region)


def _parse(data: Mapping[str, Any], path: str | None) -> Scenario:
    data = _check_keys(data, "", _TOP_KEYS)
    if "partner" not in data:
        raise _fail(
            "partner", "is missing", f"set partner to one of {format_values(article.PARTNERS)}"
        )
    partner = data["partner"]
    if partner not in article.PARTNERS:
        raise _fail(
            "partner",
            f"unknown partner {partner!r}",
            f"use one of {format_values(article.PARTNERS)}",
        )
    default_name = Path(path).stem if path else "scenario"
    name = _text(data, "name", "name", default=default_name) or default_name
    size, shares, shares_source = _population(data)
    source, overall, by_region = _baseline(data, partner)
    return Scenario(
        name=name,
        partner=str(partner),
        description=_text(data, "description", "description", default=""),
        population_size=size,
        region_shares=shares,
        region_shares_source=shares_source,
        baseline_source=source,
        baseline_distribution=overall,
        baseline_by_region=by_region,
        policies=_policies(data, name, str(partner)),
        path=path,
    )


# --------------------------------------------------------------------------- population


def registry_region_shares(
    other: Mapping[str, float] | None = None,
) -> MappingProxyType[str, float]:
    """The registry's regional shares of NGOs, mapped onto the six sample regions.

    Parameters
    ----------
    other : mapping, optional
        How the registry's "other regions" share is split between Almaty region and Kostanay
        region (shares summing to 1; default equally).

    Returns
    -------
    mapping
        Region code -> share, in ``article.SAMPLE_REGIONS`` order, summing to 1.

    Examples
    --------
    >>> shares = registry_region_shares()
    >>> shares["nur_sultan"], shares["kostanay_region"]
    (0.36, 0.065)
    """
    other = dict(other) if other is not None else dict.fromkeys(OTHER_REGION_CANDIDATES, 0.5)
    figures = article.text_figures().set_index("figure_id")["value"]
    named = {
        "nur_sultan": "region_share_nur_sultan",
        "almaty": "region_share_almaty",
        "karaganda_region": "region_share_karaganda",
        "east_kazakhstan_region": "region_share_east_kazakhstan",
    }
    shares = {region: float(figures[fid]) / 100 for region, fid in named.items()}
    rest = float(figures["region_share_other"]) / 100
    for region in OTHER_REGION_CANDIDATES:
        shares[region] = rest * float(other.get(region, 0.0))
    total = sum(shares.values())  # 36 + 19 + 17 + 15 + 13 = 100, checked by test_article
    return MappingProxyType({r: round(shares[r] / total, 12) for r in article.SAMPLE_REGIONS})


def largest_remainder(total: int, shares: Sequence[float]) -> np.ndarray:
    """Whole numbers adding up to ``total`` in proportion to ``shares`` (Hamilton's method).

    Ties in the remainders go to the earlier entry, so the result is deterministic.

    Examples
    --------
    >>> largest_remainder(10, [0.5, 0.25, 0.25]).tolist()
    [5, 3, 2]
    """
    quotas = total * np.asarray(shares, dtype=float)
    counts = np.floor(quotas + 1e-9).astype(np.int64)
    left = int(total - counts.sum())
    if left > 0:
        order = np.argsort(-(quotas - counts), kind="stable")
        counts[order[:left]] += 1
    return counts


def _apply(counts: np.ndarray, intervention: Intervention, scenario: Scenario) -> np.ndarray:
    """Apply one intervention to whole-NGO counts (regions x levels); returns a new array."""
    out = counts.copy()
    levels, regions = scenario.frequency_levels, scenario.regions
    rows = (
        range(len(regions))
        if intervention.regions is None
        else [regions.index(r) for r in intervention.regions]
    )
    for r in rows:
        if isinstance(intervention, Move):
            i, j = levels.index(intervention.source), levels.index(intervention.target)
            moved = int(math.floor(intervention.share * out[r, i] + 0.5))
            out[r, i] -= moved
            out[r, j] += moved
        else:
            out[r] = largest_remainder(int(out[r].sum()), list(intervention.distribution.values()))
    return out


def composition(
    scenario: Scenario, fit_distribution: Mapping[str, float] | None = None
) -> np.ndarray:
    """Whole-NGO counts per (policy, region, contact level); policy 0 is the baseline.

    Parameters
    ----------
    scenario : Scenario
    fit_distribution : mapping, optional
        Contact level -> share, used for regions whose baseline comes from the fit or the
        article (``baseline_source``) and is not given in the scenario.

    Returns
    -------
    numpy.ndarray
        Shape ``(1 + len(policies), 6, 5)``, integers; every slice sums to the population size.
    """
    levels = scenario.frequency_levels
    region_sizes = largest_remainder(
        scenario.population_size, list(scenario.region_shares.values())
    )
    baseline = np.zeros((len(scenario.regions), len(levels)), dtype=np.int64)
    for r, region in enumerate(scenario.regions):
        dist = scenario.baseline_by_region.get(region, scenario.baseline_distribution)
        if dist is None:
            dist = fit_distribution
        if dist is None:
            raise ScenarioError(
                f"baseline of region {region!r} comes from baseline.source = "
                f"{scenario.baseline_source!r} but no such distribution was given; give "
                "baseline.distribution or a fitted result"
            )
        baseline[r] = largest_remainder(int(region_sizes[r]), [dist[lv] for lv in levels])
    layers = [baseline]
    for policy in scenario.policies:
        counts = baseline
        for intervention in policy.interventions:
            counts = _apply(counts, intervention, scenario)
        layers.append(counts)
    return np.stack(layers)
