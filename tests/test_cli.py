"""Tests of the interactmodel command line (audit and reconstruct)."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from interactmodel import article, cli

REPO = Path(__file__).resolve().parents[1]
JSON_FIELDS = {
    "consistent_at_stated_n",
    "stated_n",
    "smallest_consistent_total",
    "smallest_tolerance_pp",
    "rounding",
}


def test_audit_text_gives_both_verdicts(capsys):
    assert cli.main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "Table 1 (state): INCONSISTENT at 245" in out
    assert "Table 2 (business): INCONSISTENT at 245" in out
    flat = " ".join(out.split())
    assert "Table 1 (state) cannot come from 245 respondents under half-up rounding" in flat
    assert "The smallest consistent total is 278." in flat
    assert "The smallest consistent total is 258." in flat
    assert "needs a tolerance of 0.1079 pp (exactly 11/102)" in flat
    assert "needs a tolerance of 0.1471 pp (exactly 5/34)" in flat


@pytest.mark.parametrize("rounding", ["half_up", "half_even"])
def test_audit_json(capsys, rounding):
    assert cli.main(["audit", "--format", "json", "--rounding", rounding]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"table1", "table2"}
    for key, total in (("table1", 278), ("table2", 258)):
        assert JSON_FIELDS <= set(result[key])
        assert result[key]["consistent_at_stated_n"] is False
        assert result[key]["stated_n"] == 245
        assert result[key]["rounding"] == rounding
        assert result[key]["smallest_consistent_total"] == total
    assert result["table1"]["smallest_tolerance_pp"] == 0.1079
    assert result["table2"]["smallest_tolerance_pp"] == 0.1471


def test_audit_with_a_tolerance_that_fits(capsys):
    assert cli.main(["audit", "--format", "json", "--tolerance", "0.15"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["table1"]["consistent_at_stated_n"] is True
    assert result["table2"]["consistent_at_stated_n"] is True
    assert result["table1"]["n_tables_at_stated_n"] > 0


def test_audit_shows_the_contradicting_text_figures(capsys):
    argv = [
        "audit",
        "--constraint",
        "positive_state_results",
        "--constraint",
        "positive_state_sample",
    ]
    assert cli.main(argv) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "contradict each other: out of 245, rows 4+5 must hold 136-138 respondents" in flat
    assert "and 179 under the second" in flat


def test_console_script_prints_json():
    script = REPO / ".venv" / "bin" / "interactmodel"
    done = subprocess.run(
        [str(script), "audit", "--format", "json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["table1"]["consistent_at_stated_n"] is False
    assert result["table2"]["smallest_consistent_total"] == 258


def test_reconstruct_writes_csv_and_settings(tmp_path, capsys):
    out = tmp_path / "recs.csv"
    assert cli.main(["reconstruct", "--draws", "3", "--seed", "5", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "wrote 3 reconstructions (1,470 rows)" in captured.out
    assert "warning: Table 1 (state) is not consistent with 245" in captured.err
    frame = pd.read_csv(out)
    assert list(frame.columns) == [
        "org_id",
        "partner",
        "frequency",
        "quality",
        "region",
        "reconstruction",
    ]
    settings = json.loads(out.with_suffix(".meta.json").read_text())
    assert settings["region_is_synthetic"] is True and settings["seed"] == 5
    # every written table prints back as Table 1 within the tolerance it reports
    published = article.table_matrix("state")
    tolerance = Fraction(str(settings["tolerance_pp"]["state"]))
    for _, group in frame[frame["partner"] == "state"].groupby("reconstruction"):
        counts = pd.crosstab(group["quality"], group["frequency"]).reindex(
            index=published.index, columns=published.columns, fill_value=0
        )
        for quality, row in counts.iterrows():
            n = int(row.sum())
            for frequency, c in row.items():
                gap = abs(Fraction(100 * int(c), n) - int(published.loc[quality, frequency]))
                assert gap <= Fraction(1, 2) + tolerance


def test_reconstruct_is_seeded(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (first, second):
        assert cli.main(["reconstruct", "--draws", "2", "--seed", "8", "--out", str(path)]) == 0
    assert first.read_text() == second.read_text()


def test_reconstruct_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "recs.csv"
    out.write_text("keep me\n")
    assert cli.main(["reconstruct", "--seed", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"error: {out} exists; pass --force to overwrite it"
    assert out.read_text() == "keep me\n"
    assert (
        cli.main(["reconstruct", "--draws", "1", "--seed", "1", "--out", str(out), "--force"]) == 0
    )
    assert out.read_text() != "keep me\n"


def test_errors_are_one_line_without_traceback(tmp_path, capsys):
    code = cli.main(
        ["reconstruct", "--seed", "1", "--tolerance", "0", "--out", str(tmp_path / "x.csv")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: cannot reconstruct: Table 1 (state) cannot come from 245")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_usage_errors_and_help(capsys):
    assert cli.main(["audit", "--rounding", "bankers"]) == 2
    assert "invalid choice: 'bankers'" in capsys.readouterr().err
    assert cli.main(["reconstruct", "--seed", "1", "--out", "x.csv", "--tolerance", "wide"]) == 2
    assert "'wide' is not 'auto' or a number" in capsys.readouterr().err
    for name in cli.COMMANDS:
        assert cli.main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert "Example:\n  interactmodel " + name in text


def test_registry_adds_a_subcommand_with_one_function(capsys, monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", dict(cli.COMMANDS))

    @cli.subcommand(
        "hello",
        help="Say hello.",
        example="interactmodel hello --name x",
        arguments=[cli.argument("--name", default="world")],
    )
    def _hello(args):
        print(f"hello {args.name}")
        return 0

    assert cli.main(["hello", "--name", "NGO"]) == 0
    assert capsys.readouterr().out == "hello NGO\n"


# --------------------------------------------------------------------------- info, fit, check


@pytest.fixture(scope="module")
def survey_csv(tmp_path_factory) -> Path:
    """One reconstruction of the article's tables, written as a survey file in article codes."""
    import warnings

    from interactmodel.reconstruct import reconstruct

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = reconstruct(1, seed=3).to_frame().drop(columns="reconstruction")
    path = tmp_path_factory.mktemp("survey") / "survey.csv"
    frame.to_csv(path, index=False)
    return path


def test_info_names_versions_sampler_and_source(capsys):
    assert cli.main(["info", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["data"]["doi"] == "10.52123/1994-2370-2024-1200"
    assert record["data"]["sample_size"] == 245
    assert record["packages"]["pymc"].startswith("5.")
    assert "NUTS" in record["sampler"]
    assert cli.main(["info"]) == 0
    assert "article model: quality ~ partner + mo(frequency):partner" in capsys.readouterr().out


def test_every_subcommand_has_help_with_an_example(capsys):
    for name in cli.COMMANDS:
        assert cli.main([name, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Example:" in out and f"interactmodel {name}" in out


def test_fit_saves_a_fit_that_loads_and_check_diagnoses_it(capsys, survey_csv, tmp_path):
    from interactmodel.io import load

    out = tmp_path / "fit"
    code = cli.main(["fit", str(survey_csv), "--formula", "quality ~ frequency", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        "threshold[definitely_bad|rather_bad]" in printed and f"saved the fit to {out}" in printed
    )
    fit = load(out)
    assert fit.converged and "frequency[T.once_a_year]" in fit.params.index
    assert cli.main(["check", "--fit", str(out)]) == 0
    report = capsys.readouterr().out
    assert "converged=True" in report and "Omnibus" in report


def test_fit_never_overwrites_without_force(capsys, survey_csv, tmp_path):
    out = tmp_path / "fit"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    argv = ["fit", str(survey_csv), "--formula", "quality ~ frequency", "--out", str(out)]
    assert cli.main(argv) == 2
    assert "already exists and is not empty; nothing was written. Use --force" in (
        capsys.readouterr().err
    )
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--formula", "quality ~ frequncy"], "'frequncy', which is not a column"),
        (["--formula", "quality ~ frequency + (1 | region)"], "engine='bayes'"),
        (["--formula", "quality ~ frequency", "--link", "logistic"], "logistic"),
    ],
)
def test_fit_bad_arguments_give_one_line_errors(capsys, survey_csv, tmp_path, argv, message):
    assert cli.main(["fit", str(survey_csv), *argv, "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "f").exists()


def test_check_tabulates_a_survey(capsys, survey_csv):
    assert cli.main(["check", str(survey_csv)]) == 0
    out = capsys.readouterr().out
    assert "490 ratings from 245 organisations" in out
    assert "cells hold fewer than 5 ratings" in " ".join(out.split())


def test_check_bad_input(capsys, tmp_path):
    assert cli.main(["check"]) == 2
    assert "needs a survey file DATA or --fit DIR" in capsys.readouterr().err
    assert cli.main(["check", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert cli.main(["check", "--fit", str(tmp_path / "nofit")]) == 2
    assert "no saved fit" in capsys.readouterr().err


def test_reproduce_refuses_a_non_empty_folder_and_leaves_it_untouched(capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("my notes")
    assert cli.main(["reproduce", "--out", str(out), "--quick"]) == 2
    assert "already exists and is not empty; nothing was written" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["notes.md"]
    assert (out / "notes.md").read_text() == "my notes"
