"""The main job end to end, with tiny sampler settings (one run shared by the module)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from interactmodel import pipeline
from interactmodel.checks import VERDICTS
from interactmodel.errors import OutputExistsError
from interactmodel.io import load
from interactmodel.pipeline import ReproduceSettings, reproduce

TINY = ReproduceSettings(
    reconstructions=2, draws=150, tune=150, chains=2, loo_draws=150, loo_chains=2, seed=11
)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce") / "out"
    with pytest.warns(Warning):  # tiny chains do not converge, and the run says so
        return reproduce(out, TINY, progress=False)


def test_writes_every_promised_file(run: Path) -> None:
    for name in ("report.html", "report.md", "run.json"):
        assert (run / name).stat().st_size > 0
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert {"trends_state.png", "trends_business.png", "posterior_predictive.png"} <= figures
    assert len([f for f in figures if f.startswith("scenario_")]) == 3
    tables = {p.stem for p in (run / "tables").glob("*.csv")}
    assert {"article_checks", "audit", "ml_estimates", "bayes_summary", "loo_comparison"} <= tables
    assert {"effects", "scenarios", "reconstructions", "reconstruction_settings"} <= tables
    assert [p.name for p in run.parent.iterdir()] == ["out"], "a staging folder was left behind"


def test_article_checks_table_has_the_promised_columns(run: Path) -> None:
    checks = pd.read_csv(run / "tables" / "article_checks.csv")
    required = ["check", "source", "published", "recomputed", "model", "lower", "upper", "verdict"]
    assert set(required) <= set(checks.columns)
    assert set(checks["verdict"]) <= set(VERDICTS)
    assert (checks["source"] == "Table 1").sum() >= 25 and (
        checks["source"] == "Table 2"
    ).sum() >= 25


def test_defaults_and_caveats_are_written_into_the_outputs(run: Path) -> None:
    record = json.loads((run / "run.json").read_text())
    assert record["settings"]["seed"] == 11 and record["settings"]["reconstructions"] == 2
    assert record["versions"]["pymc"].startswith("5.")
    settings = pd.read_csv(run / "tables" / "reconstruction_settings.csv")
    values = dict(zip(settings["setting"], settings["value"], strict=True))
    assert json.loads(values["region_is_synthetic"]) is True
    assert "reflect the prior only" in json.loads(values["region_note"])
    assert json.loads(values["rounding"]) == "half_up"
    report = (run / "report.md").read_text()
    assert "reflect the prior only" in report and "not causal effects" in report


def test_saved_fits_load_and_match_the_written_summary(run: Path) -> None:
    bayes = load(run / "fits" / "article_model")
    written = pd.read_csv(run / "tables" / "bayes_summary.csv").set_index("parameter")
    summary = bayes.summary(level=TINY.level)
    pd.testing.assert_series_equal(summary["mean"], written["mean"], check_exact=True)
    assert bayes.n_reconstructions == TINY.reconstructions
    ml = load(run / "fits" / "ml_state_reconstruction_1")
    assert ml.converged and "frequency[T.once_a_month]" in ml.params.index


def test_policy_summary_states_effects_with_intervals(run: Path) -> None:
    text = (run / "report.md").read_text()
    summary = text[text.index("## Summary for policy teams") : text.index('<a id="audit">')]
    assert "NGOs in contact with state agencies once a quarter rather than once a year" in summary
    assert "90% interval" in summary
    assert "cannot come from 245 NGOs" in summary


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install chromium"
)
def test_report_opens_in_chromium_with_every_image_and_table(run: Path) -> None:
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        page = browser.new_context(offline=True).new_page()
        page.goto((run / "report.html").as_uri(), wait_until="load")
        images = page.evaluate(
            "() => Array.from(document.images).map(i => [i.complete, i.naturalWidth])"
        )
        has_summary = page.locator("section#summary").count()
        checks_rows = page.locator("#checks table.checks-table tbody tr").count()
        browser.close()
    assert len(images) == 6 and all(done and width > 0 for done, width in images)
    assert has_summary == 1
    assert checks_rows == len(pd.read_csv(run / "tables" / "article_checks.csv"))


def test_refuses_a_non_empty_folder_and_force_replaces_it_only_after_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(OutputExistsError, match="already exists and is not empty"):
        reproduce(out, TINY, progress=False)
    assert [p.name for p in out.iterdir()] == ["old.txt"]

    import interactmodel.pipeline_steps as steps

    def failing(staging: Path, settings: ReproduceSettings, step: object) -> None:
        (staging / "half.txt").write_text("half")
        raise RuntimeError("boom")

    monkeypatch.setattr(steps, "run_steps", failing)
    with pytest.raises(RuntimeError, match="boom"):
        reproduce(out, TINY, force=True, progress=False)
    assert [p.name for p in out.iterdir()] == ["old.txt"]

    def succeeding(staging: Path, settings: ReproduceSettings, step: object) -> None:
        (staging / "new.txt").write_text("new")

    monkeypatch.setattr(steps, "run_steps", succeeding)
    reproduce(out, TINY, force=True, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["new.txt", "run.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_quick_settings_run_the_same_steps_with_less_sampling() -> None:
    quick = ReproduceSettings.quick_run()
    assert quick.quick and quick.reconstructions < ReproduceSettings().reconstructions
    assert quick.draws < ReproduceSettings().draws
    assert pipeline.ARTICLE_MODEL == "quality ~ partner + mo(frequency):partner + (1 | region)"
