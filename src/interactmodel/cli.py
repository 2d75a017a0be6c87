"""The ``interactmodel`` command line: parse, call the public API, print or write files.

Each subcommand is one function registered with :func:`subcommand`; adding
one (``fit``, ``check``, ``simulate``, ``info``, ``reproduce``) means writing
one more such function::

    @subcommand(
        "info",
        help="Show the package version and where the article data live.",
        example="interactmodel info",
        arguments=[argument("--format", choices=("text", "json"), default="text")],
    )
    def _info(args: argparse.Namespace) -> int:
        ...
        return 0

Errors that interactmodel raises on purpose are printed as one line
``error: ...`` with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from interactmodel import __version__
from interactmodel.errors import InteractModelError, OutputExistsError

__all__ = ["COMMANDS", "Subcommand", "argument", "build_parser", "main", "subcommand"]

EXIT_ERROR = 2


@dataclass(frozen=True)
class Argument:
    """The positional and keyword arguments of one ``ArgumentParser.add_argument`` call."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


def argument(*flags: str, **options: Any) -> Argument:
    """Describe a command-line argument exactly as ``ArgumentParser.add_argument`` takes it."""
    return Argument(flags, options)


@dataclass(frozen=True)
class Subcommand:
    """A registered subcommand: its name, help, example, arguments and the function it runs."""

    name: str
    help: str
    example: str
    arguments: tuple[Argument, ...]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str, *, help: str, example: str, arguments: Sequence[Argument] = ()
) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register the decorated function as subcommand ``name``.

    Parameters
    ----------
    name : str
        The subcommand, e.g. ``"audit"``.
    help : str
        One or two sentences for ``interactmodel --help`` and ``interactmodel NAME --help``.
    example : str
        A command line that works, shown under "Example" in ``--help``.
    arguments : sequence of Argument
        The subcommand's options, made with :func:`argument`.
    """

    def register(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        if name in COMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        COMMANDS[name] = Subcommand(name, help, example, tuple(arguments), run)
        return run

    return register


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="interactmodel",
        description="Ordinal and Bayesian models for survey ratings of inter-organisational "
        "relationships.",
    )
    parser.add_argument("--version", action="version", version=f"interactmodel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS.values():
        sub = commands.add_parser(
            command.name,
            help=command.help,
            description=f"{command.help}\n\nExample:\n  {command.example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for arg in command.arguments:
            sub.add_argument(*arg.flags, **arg.options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (0 success, 2 usage or data error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: keep argparse's code
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    try:
        return COMMANDS[args.command].run(args)
    except InteractModelError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # the file system refused (a file where a folder should be, no rights)
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"error: {exc.strerror or exc}{where}; check that the folders of every path given "
            "exist, are folders and can be written",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _say(text: str = "", indent: str = "") -> None:
    print(
        textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent)
        if text
        else ""
    )


def _tolerance(value: str) -> float | str:
    """``--tolerance`` accepts ``auto`` or percentage points."""
    if value == "auto":
        return value
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not 'auto' or a number of percentage points"
        ) from None


def _constraint_choices() -> list[str]:
    from interactmodel.reconstruct import TEXT_FIGURE_ROWS

    return list(TEXT_FIGURE_ROWS)


_ROUNDING = argument(
    "--rounding",
    choices=("half_up", "half_even"),
    default="half_up",
    help="how the article rounded its percentages (default: half_up)",
)


def _constraint_argument() -> Argument:
    return argument(
        "--constraint",
        action="append",
        default=[],
        metavar="FIGURE_ID",
        choices=_constraint_choices(),
        help="add a text figure as a share constraint (repeatable): "
        + ", ".join(_constraint_choices()),
    )


@subcommand(
    "audit",
    help="Check whether the article's Tables 1 and 2 can come from 245 whole NGOs (a GRIM-like "
    "integer-consistency audit) and say what total or tolerance they need.",
    example="interactmodel audit --rounding half_even --format json",
    arguments=[
        _ROUNDING,
        argument(
            "--tolerance",
            type=float,
            default=0.0,
            metavar="PP",
            help="extra percentage points allowed per printed cell (default: 0, the rule exactly)",
        ),
        argument("--format", choices=("text", "json"), default="text", help="output format"),
        _constraint_argument(),
    ],
)
def _audit(args: argparse.Namespace) -> int:
    from interactmodel.reconstruct import article_constraints, audit_article

    constraints = article_constraints(args.constraint, rounding=args.rounding)
    results = audit_article(args.rounding, args.tolerance, constraints)
    if args.format == "json":
        print(json.dumps({key: result.to_dict() for key, result in results.items()}, indent=2))
        return 0
    for result in results.values():
        state = "consistent" if result.consistent_at_stated_n else "INCONSISTENT"
        _say(f"{result.table}: {state} at {result.stated_n}")
        _say(result.verdict, indent="  ")
        _say(f"Row sizes each printed row allows (1..{result.stated_n}):", indent="  ")
        for row in result.rows.itertuples():
            _say(
                f"{row.row} {row.label} ({row.printed}; sum {row.printed_sum:g}): "
                f"{row.feasible_sizes or 'none'}",
                indent="    ",
            )
        _say()
    return 0


@subcommand(
    "reconstruct",
    help="Draw respondent-level data sets consistent with Tables 1 and 2, uniformly over the "
    "feasible integer tables, and write them as one CSV (plus a .meta.json of the settings).",
    example="interactmodel reconstruct --draws 100 --seed 1 --out reconstructions.csv",
    arguments=[
        argument("--draws", type=int, default=100, metavar="M", help="number of data sets"),
        argument("--seed", type=int, required=True, metavar="S", help="random seed"),
        argument("--out", type=Path, required=True, metavar="FILE.csv", help="CSV to write"),
        argument("--force", action="store_true", help="overwrite FILE.csv if it exists"),
        _ROUNDING,
        argument(
            "--tolerance",
            type=_tolerance,
            default="auto",
            metavar="PP|auto",
            help="percentage points allowed per cell; 'auto' (default) uses the smallest that "
            "fits 245, 0 refuses tables that do not fit",
        ),
        argument(
            "--region-rule",
            choices=("uniform", "registry"),
            default="uniform",
            help="how regions are assigned, independently of the ratings (default: uniform)",
        ),
        _constraint_argument(),
    ],
)
def _reconstruct(args: argparse.Namespace) -> int:
    from interactmodel.reconstruct import article_constraints, reconstruct

    out: Path = args.out
    meta = out.with_suffix(".meta.json")
    for path in (out, meta):
        if path.exists() and not args.force:
            raise OutputExistsError(f"{path} exists; pass --force to overwrite it")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        recs = reconstruct(
            args.draws,
            args.seed,
            rounding=args.rounding,
            tolerance=args.tolerance,
            constraints=article_constraints(args.constraint, rounding=args.rounding),
            region_rule=args.region_rule,
        )
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    frame = recs.to_frame()
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    meta.write_text(json.dumps(recs.defaults, indent=2) + "\n")
    counts = ", ".join(f"{p} {n:,}" for p, n in recs.n_feasible_tables.items())
    print(
        f"wrote {len(recs)} reconstructions ({len(frame):,} rows) to {out} and their settings "
        f"to {meta}; feasible tables: {counts}"
    )
    return 0


# --------------------------------------------------------------------------- simulate


def _simulation_rows(summary: Any, scenario: str) -> list[str]:
    """One line per quality level: NGOs, share and difference, each with its interval."""
    part = summary[summary["scenario"] == scenario]
    # rounding first (and adding 0.0, which turns -0.0 into 0.0) keeps "-0" out of the table
    cells = {
        (row.quality, row.measure): tuple(
            round(v, 3 if row.measure == "share" else 0) + 0.0
            for v in (row.estimate, row.lower, row.upper)
        )
        for row in part.itertuples()
    }
    formats = {
        "count": "{:,.0f} [{:,.0f}, {:,.0f}]",
        "share": "{:.1%} [{:.1%}, {:.1%}]",
        "count_difference": "{:+,.0f} [{:+,.0f}, {:+,.0f}]",
    }
    lines = []
    for quality in part["quality"].cat.categories:
        texts = [
            fmt.format(*cells[(quality, measure)]).ljust(26)
            for measure, fmt in formats.items()
            if (quality, measure) in cells
        ]
        lines.append(f"{quality:<17}" + "".join(texts).rstrip())
    return lines


def _print_simulation(sim: Any, fitted: str) -> None:
    scenario = sim.scenario
    _say(f"Scenario {scenario.name} ({scenario.path or 'given'}): {scenario.description}")
    _say(f"Partner: {scenario.partner}; population {sim.population_size:,} NGOs.")
    _say(f"Model: {sim.model}. {fitted}")
    _say(f"Uncertainty: {sim.uncertainty}; {sim.n_draws:,} draws, seed {sim.seed}.")
    _say(f"Baseline contact frequency: {sim.baseline}.")
    summary = sim.summary()
    policies = {p.name: p for p in scenario.policies}
    for name in sim.scenarios:
        _say()
        if name == "baseline":
            _say("baseline")
        else:
            policy = policies[name]
            _say(f"{name}: {policy.description}")
            for intervention in policy.interventions:
                _say(f"- {intervention.describe()}", indent="  ")
        header = f"{'quality':<17}{'NGOs [95% interval]':<26}{'share [95% interval]':<26}"
        if name != "baseline":
            header += "difference in NGOs"
        print("  " + header.rstrip())
        for line in _simulation_rows(summary, name):
            print("  " + line)
    _say()
    _say(f"Note: {sim.note}")


#: image formats matplotlib writes (it picks the format from the suffix and fails after the run)
PLOT_FORMATS = ("png", "pdf", "svg", "svgz", "jpg", "jpeg", "tif", "tiff", "webp", "eps", "ps")


def _check_plot_path(path: Path, force: bool) -> None:
    """Refuse a --plot file before simulating, not after it."""
    if path.exists() and not force:
        raise OutputExistsError(f"{path} exists; pass --force to overwrite it")
    if path.suffix.lstrip(".").lower() not in PLOT_FORMATS:
        from interactmodel.errors import SpecificationError

        raise SpecificationError(
            f"--plot {path}: {path.suffix or 'no extension'!r} is not an image format; end the "
            f"name with .png, .pdf or .svg (or {', '.join(PLOT_FORMATS[3:])})"
        )


@subcommand(
    "simulate",
    help="Simulate how many NGOs in a population would rate their relationship with a partner "
    "how, at the baseline and under each policy of a scenario file, with intervals.",
    example="interactmodel simulate models/scenarios/state_quarterly_contact.toml --seed 1",
    arguments=[
        argument("scenario", type=Path, metavar="SCENARIO.toml", help="the scenario file"),
        argument(
            "--fit",
            type=Path,
            metavar="DIR",
            help="a saved fit to simulate with (default: fit quality ~ frequency by ML to the "
            "scenario's partner in 10 reconstructions of the article's tables)",
        ),
        argument("--format", choices=("text", "json"), default="text", help="output format"),
        argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)"),
        argument(
            "--draws",
            type=int,
            default=None,
            metavar="N",
            help="parameter draws (default: 1000 for ML, every posterior draw for Bayes)",
        ),
        argument("--plot", type=Path, metavar="FILE.png", help="also write a figure"),
        argument("--force", action="store_true", help="overwrite FILE.png if it exists"),
    ],
)
def _simulate(args: argparse.Namespace) -> int:
    from interactmodel.scenario import load_scenario
    from interactmodel.simulation import DEFAULT_RECONSTRUCTIONS, fit_default, simulate

    if args.plot is not None:
        _check_plot_path(args.plot, args.force)
    scenario = load_scenario(args.scenario)
    if args.fit is not None:
        from interactmodel.io import load

        result: Any = load(args.fit)
        fitted = f"Loaded from {args.fit}."
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the reconstructions' tolerance, stated below
            result = fit_default(scenario.partner, DEFAULT_RECONSTRUCTIONS, seed=args.seed)
        fitted = (
            f"No --fit given: fitted by ML to the {scenario.partner} ratings of "
            f"{DEFAULT_RECONSTRUCTIONS} reconstructions of the article's tables (seed "
            f"{args.seed}, the smallest rounding tolerance that fits 245 NGOs), pooling their "
            "parameter draws."
        )
    sim = simulate(result, scenario, seed=args.seed, n_draws=args.draws)
    if args.plot is not None:
        from interactmodel.plots_simulation import plot_simulation

        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot_simulation(sim).savefig(args.plot, dpi=150)
    if args.format == "json":
        print(json.dumps({"fit": fitted, **sim.to_dict()}, indent=2))
    else:
        _print_simulation(sim, fitted)
        if args.plot is not None:
            _say(f"Figure written to {args.plot}.")
    return 0


# --------------------------------------------------------------------------- reproduce


@subcommand(
    "reproduce",
    help="Run the whole re-analysis of the article (audit, reconstructions, ML and Bayesian "
    "fits, effects, checks, scenarios) and write report.html, report.md, figures/, tables/ "
    "and fits/ into --out. An existing non-empty folder is left untouched unless --force.",
    example="interactmodel reproduce --out out --quick",
    arguments=[
        argument("--out", type=Path, default=Path("out"), metavar="DIR", help="output folder"),
        argument(
            "--quick",
            action="store_true",
            help="fewer reconstructions and draws (about a minute); same steps and files",
        ),
        argument("--force", action="store_true", help="replace DIR if it is not empty"),
        argument("--seed", type=int, default=None, metavar="S", help="seed of every random step"),
        argument(
            "--reconstructions",
            type=int,
            default=None,
            metavar="M",
            help="number of reconstructed data sets (default 10, or 3 with --quick)",
        ),
    ],
)
def _reproduce(args: argparse.Namespace) -> int:
    from interactmodel.pipeline import ReproduceSettings, reproduce

    settings = ReproduceSettings.quick_run() if args.quick else ReproduceSettings()
    changes = {"seed": args.seed, "reconstructions": args.reconstructions}
    settings = replace(settings, **{k: v for k, v in changes.items() if v is not None})
    out = reproduce(args.out, settings, force=args.force)
    print(f"wrote {out / 'report.html'} and {out / 'report.md'} (tables/, figures/, fits/)")
    return 0


# --------------------------------------------------------------------------- info


@subcommand(
    "info",
    help="Show the versions, the sampler backend and where the article's data came from.",
    example="interactmodel info --format json",
    arguments=[argument("--format", choices=("text", "json"), default="text")],
)
def _info(args: argparse.Namespace) -> int:
    from importlib.util import find_spec

    from interactmodel import article
    from interactmodel.pipeline import ARTICLE_MODEL, package_versions

    numpyro = find_spec("numpyro") is not None and find_spec("jax") is not None

    record: dict[str, Any] = {
        "interactmodel": __version__,
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "sampler": "numpyro (JAX) NUTS; fallback PyMC NUTS"
        if numpyro
        else "PyMC NUTS (numpyro/JAX not installed)",
        "data": {
            "folder": str(article.data_dir()),
            "source": article.SOURCE_CITATION,
            "doi": article.SOURCE_DOI,
            "sample_size": article.SAMPLE_SIZE,
            "regions": list(article.SAMPLE_REGIONS),
        },
        "article_model": ARTICLE_MODEL,
    }
    if args.format == "json":
        print(json.dumps(record, indent=2))
        return 0
    print(f"interactmodel {record['interactmodel']} on Python {record['python']}")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in record["packages"].items()))
    print(f"Bayesian sampler: {record['sampler']}")
    _say(f"data: {record['data']['folder']}")
    _say(f"source: {record['data']['source']} (DOI {record['data']['doi']})", indent="  ")
    print(f"article model: {ARTICLE_MODEL}")
    return 0


# --------------------------------------------------------------------------- fit, check


def _survey_arguments() -> list[Argument]:
    return [
        argument(
            "data", type=Path, metavar="DATA", help="survey file (.csv, .parquet, .xlsx, .sav)"
        ),
        argument(
            "--schema",
            type=Path,
            metavar="SCHEMA.toml",
            help="column names and level orders (see read_survey); without it the file must "
            "use interactmodel's column names and the article's level codes",
        ),
        argument("--encoding", default=None, help="text encoding of a CSV, e.g. cp1251"),
    ]


def _read_survey_file(args: argparse.Namespace) -> Any:
    from interactmodel import article
    from interactmodel.survey import read_survey

    if args.schema is not None:
        return read_survey(args.data, schema=args.schema, encoding=args.encoding)
    levels = {
        "quality": list(article.QUALITY_LEVELS),
        "frequency": {p: list(v) for p, v in article.FREQUENCY_LEVELS.items()},
    }
    return read_survey(args.data, levels=levels, encoding=args.encoding)


@subcommand(
    "fit",
    help="Fit an ordinal model to a survey file and save it (JSON, CSV and netCDF; "
    "interactmodel.load(DIR) reads it back). Prints the summary.",
    example="interactmodel fit survey.csv --schema schema.toml --formula "
    "'quality ~ frequency' --engine ml --out fits/ml",
    arguments=[
        *_survey_arguments(),
        argument(
            "--formula", required=True, help="e.g. 'quality ~ partner + mo(frequency):partner'"
        ),
        argument("--engine", choices=("ml", "bayes"), default="ml"),
        argument("--link", default="logit", help="logit, probit, cloglog, loglog or cauchit"),
        argument("--weights", default=None, metavar="COLUMN", help="frequency weights"),
        argument("--draws", type=int, default=1000, help="posterior draws per chain (bayes)"),
        argument("--tune", type=int, default=1000, help="warm-up draws per chain (bayes)"),
        argument("--chains", type=int, default=4, help="chains (bayes)"),
        argument(
            "--cores",
            type=int,
            default=None,
            help="chains sampled side by side (bayes; default: every core; the draws do not "
            "depend on it)",
        ),
        argument("--seed", type=int, default=0, metavar="S", help="sampler seed (bayes)"),
        argument("--out", type=Path, required=True, metavar="DIR", help="folder for the fit"),
        argument("--force", action="store_true", help="replace DIR if it holds a saved fit"),
        argument("--format", choices=("text", "json"), default="text"),
    ],
)
def _fit(args: argparse.Namespace) -> int:
    from interactmodel.io import save
    from interactmodel.pipeline import check_output_dir
    from interactmodel.spec import OrdinalModel

    check_output_dir(args.out, args.force)
    data = _read_survey_file(args)
    spec = OrdinalModel(args.formula, link=args.link)
    options: dict[str, Any] = {}
    if args.engine == "bayes":
        options = {
            "draws": args.draws,
            "tune": args.tune,
            "chains": args.chains,
            "seed": args.seed,
            "cores": args.cores,
        }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = spec.fit(data, engine=args.engine, weights=args.weights, **options)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    save(result, args.out, force=args.force)
    summary = result.summary()
    if args.format == "json":
        print(summary.reset_index().to_json(orient="records", indent=2))
    else:
        with pd_options():
            print(summary.to_string())
        print(f"saved the fit to {args.out}")
    return 0


@subcommand(
    "check",
    help="Validate a survey file and show what a model would rest on: ratings per partner, "
    "contact frequency and quality, and the sparse cells; with --fit DIR, the convergence "
    "diagnostics and proportional-odds tests of a saved fit instead.",
    example="interactmodel check survey.csv --schema schema.toml",
    arguments=[
        argument("data", type=Path, nargs="?", metavar="DATA", help="survey file"),
        *_survey_arguments()[1:],
        argument("--fit", type=Path, metavar="DIR", help="a saved fit to diagnose"),
    ],
)
def _check(args: argparse.Namespace) -> int:
    if args.fit is not None:
        return _check_fit(args.fit)
    if args.data is None:
        from interactmodel.errors import SpecificationError

        raise SpecificationError("check needs a survey file DATA or --fit DIR")
    data = _read_survey_file(args)
    counts = data.groupby(["partner", "frequency", "quality"], observed=True).size()
    table = counts.unstack("quality", fill_value=0)
    print(f"{args.data}: {len(data):,} ratings from {data['org_id'].nunique():,} organisations")
    with pd_options():
        print(table.to_string())
    sparse = int((table < 5).to_numpy().sum())
    _say(
        f"{sparse} of {table.size} partner x frequency x quality cells hold fewer than 5 "
        "ratings; thresholds next to them are weakly identified"
        + ("." if sparse == 0 else " (consider engine='bayes' with priors, or merging levels).")
    )
    return 0


def _check_fit(folder: Path) -> int:
    from interactmodel.io import load
    from interactmodel.results import MLResult

    result: Any = load(folder)
    if isinstance(result, MLResult):
        print(
            f"ML fit of {result.spec.formula}: converged={result.converged}, "
            f"max |gradient| {result.max_abs_gradient:.2e}, Hessian condition number "
            f"{result.hessian_condition:.3g}"
        )
        with pd_options():
            print(result.nominal_test().to_string(index=False))
            print(result.brant_test().to_string(index=False))
        return 0
    diagnostics = result.diagnostics
    print(f"Bayesian fit of {result.formula}: converged={diagnostics.get('converged')}")
    for key in ("divergences", "max_r_hat", "min_ess_bulk", "min_ess_tail", "min_bfmi"):
        if key in diagnostics:
            print(f"  {key}: {diagnostics[key]}")
    for failure in diagnostics.get("failures", []):
        print(f"  failed: {failure}")
    return 0


def pd_options() -> Any:
    """Print whole frames without wrapping."""
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 20)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
