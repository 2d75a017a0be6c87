"""Tests of the report renderer: structure, embedding, escaping, formatting, errors.

The HTML is parsed with the standard library's XML parser (the renderer writes
well-formed markup) and the Markdown with markdown-it-py, an independent CommonMark
implementation with GitHub's table extension, so both outputs are checked by parsers
that are not ours.
"""

from __future__ import annotations

import base64
import io
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel.errors import InteractModelError
from interactmodel.report import (
    ReportContent,
    ReportError,
    ReportSection,
    render_html,
    render_markdown,
    write_report,
)

SCRIPT = "<script>alert('x')</script>"


# ----------------------------------------------------------------------------------------------
# Fixtures


def _make_png(path: Path, size: tuple[float, float], colour: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=size, dpi=50)
    ax.bar(["a", "b", "c"], [3, 1, 2], color=colour)
    fig.savefig(path, format="png")
    plt.close(fig)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    _make_png(tmp_path / "figures" / "shares.png", (4, 3), "tab:blue")
    _make_png(tmp_path / "figures" / "effects plot.png", (6, 2), "tab:red")
    return tmp_path


def _checks_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "figure": ["Table 1, row 5", SCRIPT, "a | b"],
            "published": [73.1, np.nan, 0.5],
            "implied": [73.123456, 0.0123456, 1.5e-7],
            "n": np.array([245, 12, 0], dtype=np.int64),
            "within_tolerance": [True, False, True],
        }
    )


@pytest.fixture
def content() -> ReportContent:
    # Methodologist sections first on purpose: rendering must move the policy one to the top.
    return ReportContent(
        title="Relationships of NGOs & <agencies>",
        subtitle="Reproduction of the article's tables",
        sections=(
            ReportSection(
                key="checks",
                title="Checks against the article",
                paragraphs=("Each row compares a **published** figure with `P(Y <= k)`.",),
                tables=(("Article checks", _checks_frame()),),
            ),
            ReportSection(
                key="effects",
                title="Effects",
                paragraphs=("Estimates are on the logit scale.",),
                figures=(("Effect of contact frequency", "figures/effects plot.png"),),
            ),
            ReportSection(
                key="summary",
                title="Summary",
                paragraphs=("More contact goes with **better** relationships.",),
                tables=(("Key numbers", pd.DataFrame({"partner": ["state"], "share": [0.561]})),),
                figures=(("Share rating the relationship good", "figures/shares.png"),),
                audience="policy",
            ),
        ),
        metadata={"seed": 20240101, "versions": {"numpy": "2.4.0"}, "tolerance": 0.12345678},
    )


def _parse_html(text: str) -> ET.Element:
    return ET.fromstring(text)


def _text(element: ET.Element) -> str:
    return "".join(element.itertext())


def _classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def _table_cells(table: ET.Element) -> list[list[str]]:
    return [[_text(cell) for cell in row] for row in table.iter("tr")]


# ----------------------------------------------------------------------------------------------
# HTML


def test_html_is_well_formed_and_policy_sections_come_first(content, out_dir):
    root = _parse_html(render_html(content, out_dir))
    body = root.find("body")
    assert body is not None
    order = [s.get("id") for s in body.iter("section")]
    assert order == ["summary", "checks", "effects", "metadata"]

    main = body.find("main")
    children = [child.get("id") for child in main]
    # brief first, then the table of contents, then the detail
    assert children == ["policy-brief", "contents", "details"]
    brief = main.find("div[@id='policy-brief']")
    assert [s.get("id") for s in brief.iter("section")] == ["summary"]
    assert "audience-policy" in _classes(brief.find("section"))

    links = [a.get("href") for a in main.find("nav").iter("a")]
    assert links == ["#summary", "#checks", "#effects", "#metadata"]


def test_summary_id_and_checks_table_class(content, out_dir):
    root = _parse_html(render_html(content, out_dir))
    summary = root.find(".//*[@id='summary']")
    assert summary is not None and summary.tag == "section"
    checks = root.find(".//section[@id='checks']")
    tables = [t for t in checks.iter("table") if "checks-table" in _classes(t)]
    assert len(tables) == 1
    cells = _table_cells(tables[0])
    assert cells[0] == ["figure", "published", "implied", "n", "within_tolerance"]
    assert len(cells) == 1 + len(_checks_frame())
    assert _text(tables[0].find("caption")) == "Table 2. Article checks"


def test_every_image_is_an_embedded_decodable_png(content, out_dir):
    from PIL import Image

    root = _parse_html(render_html(content, out_dir))
    images = list(root.iter("img"))
    files = [out_dir / "figures" / "shares.png", out_dir / "figures" / "effects plot.png"]
    assert len(images) == len(files)
    for image, path in zip(images, files, strict=True):
        prefix = "data:image/png;base64,"
        assert image.get("src").startswith(prefix)
        data = base64.b64decode(image.get("src")[len(prefix) :], validate=True)
        assert data == path.read_bytes()
        with Image.open(io.BytesIO(data)) as decoded:
            decoded.load()
            assert decoded.format == "PNG"
            assert (int(image.get("width")), int(image.get("height"))) == decoded.size
        assert image.get("alt")


def test_html_has_no_external_resources(content, out_dir):
    text = render_html(content, out_dir)
    root = _parse_html(text)
    assert not list(root.iter("script")) and not list(root.iter("link"))
    for element in root.iter():
        for attribute in ("src", "href"):
            value = element.get(attribute)
            if value is not None:
                assert value.startswith(("#", "data:image/png;base64,")), value
    style = _text(root.find("head/style"))
    assert "@import" not in style and "url(" not in style and "@font-face" not in style


def test_all_text_is_escaped(content, out_dir):
    text = render_html(content, out_dir)
    assert "<script" not in text
    assert "&lt;script&gt;" in text
    root = _parse_html(text)
    checks_table = root.find(".//table[@id='checks-table-1']")
    # after parsing, the cell shows exactly what the frame held
    assert _table_cells(checks_table)[2][0] == SCRIPT
    assert _text(root.find("head/title")) == "Relationships of NGOs & <agencies>"
    assert _text(root.find(".//h1")) == "Relationships of NGOs & <agencies>"


def test_paragraph_markup_bold_and_code_only(out_dir):
    section = ReportSection(
        "notes",
        "Notes",
        paragraphs=(
            "A **bold** claim about `x < y` and *single stars* with [a](http://x.org) <b>.",
        ),
    )
    root = _parse_html(render_html(ReportContent("T", "", (section,), {}), out_dir))
    paragraph = root.find(".//section[@id='notes']/p")
    assert [child.tag for child in paragraph] == ["strong", "code"]
    assert _text(paragraph.find("strong")) == "bold"
    assert _text(paragraph.find("code")) == "x < y"
    assert (
        _text(paragraph)
        == "A bold claim about x < y and *single stars* with [a](http://x.org) <b>."
    )


def test_numbers_are_formatted(out_dir):
    frame = pd.DataFrame(
        {
            "x": [12.345678, 0.5, 0.0123456, 1.5e-7, 2.5e6, np.nan, -np.inf, -0.25],
            "whole": [3.0, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0, -1.0],
            "count": pd.array([1, 2, None, 4, 5, 6, 7, 8], dtype="Int64"),
            "label": ["a", None, "c", "d", "e", "f", "g", "h"],
        }
    )
    section = ReportSection("numbers", "Numbers", tables=(("numbers", frame),))
    root = _parse_html(render_html(ReportContent("T", "", (section,), {}), out_dir))
    rows = _table_cells(root.find(".//table[@id='numbers-table-1']"))[1:]
    columns = list(zip(*rows, strict=True))
    dash = "\u2014"
    assert list(columns[0]) == [
        "12.346",
        "0.500",
        "0.0123",
        "1.50e-07",
        "2.50e+06",
        dash,
        "-\u221e",
        "-0.250",
    ]
    assert list(columns[1]) == ["3", dash, "4", "5", "6", "7", "8", "-1"]
    assert list(columns[2]) == ["1", "2", dash, "4", "5", "6", "7", "8"]
    assert list(columns[3]) == ["a", dash, "c", "d", "e", "f", "g", "h"]
    # the shown value is the true value to within the rounding of 3 significant digits
    for shown, true in zip(columns[0], frame["x"], strict=True):
        if math.isfinite(true):
            assert float(shown) == pytest.approx(true, rel=5e-3)
    header = root.find(".//table[@id='numbers-table-1']/thead/tr")
    assert ["num" in _classes(th) for th in header] == [True, True, True, False]


def test_labelled_index_is_shown_and_empty_frame_renders(out_dir):
    indexed = pd.DataFrame({"share": [0.25, 0.75]}, index=pd.Index(["low", "high"], name="level"))
    empty = pd.DataFrame({"a": pd.Series([], dtype=float)})
    section = ReportSection("t", "T", tables=(("indexed", indexed), ("empty", empty)))
    root = _parse_html(render_html(ReportContent("T", "", (section,), {}), out_dir))
    assert _table_cells(root.find(".//table[@id='t-table-1']")) == [
        ["level", "share"],
        ["low", "0.250"],
        ["high", "0.750"],
    ]
    assert _table_cells(root.find(".//table[@id='t-table-2']")) == [["a"], ["No rows."]]


def test_metadata_is_the_last_table_with_exact_values(content, out_dir):
    root = _parse_html(render_html(content, out_dir))
    last = list(root.iter("section"))[-1]
    assert last.get("id") == "metadata"
    assert _table_cells(last.find(".//table")) == [
        ["setting", "value"],
        ["seed", "20240101"],
        ["versions.numpy", "2.4.0"],
        ["tolerance", "0.12345678"],
    ]


# ----------------------------------------------------------------------------------------------
# Markdown


def _markdown_it():
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py parses the Markdown")
    return markdown_it.MarkdownIt("commonmark").enable("table")


def _pipe_count(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_markdown_tables_are_well_formed(content):
    text = render_markdown(content)
    lines = text.splitlines()
    tables: list[list[str]] = []
    for index, line in enumerate(lines):
        if line.startswith("|") and (index == 0 or not lines[index - 1].startswith("|")):
            tables.append([])
        if line.startswith("|"):
            tables[-1].append(line)
    assert len(tables) == 3  # summary key numbers, checks, metadata
    for table in tables:
        assert re.fullmatch(r"\|( -+:? \|)+", table[1]), table[1]
        counts = {_pipe_count(line) for line in table}
        assert len(counts) == 1 and all(line.endswith(" |") for line in table)
        assert len(table) >= 3


def test_markdown_tables_parse_to_the_same_cells_as_the_html(content, out_dir):
    rendered = _markdown_it().render(render_markdown(content))
    from_markdown = [
        _table_cells(table) for table in ET.fromstring(f"<root>{rendered}</root>").iter("table")
    ]
    html_root = _parse_html(render_html(content, out_dir))
    from_html = [_table_cells(table) for table in html_root.iter("table")]
    assert from_markdown == from_html
    # alignment: numbers right, text left
    assert '<th style="text-align:right">published</th>' in rendered


def test_markdown_images_link_relative_paths_and_text_is_literal(content, out_dir):
    text = render_markdown(content)
    assert "data:" not in text
    rendered = _markdown_it().render(text)
    root = ET.fromstring(f"<root>{rendered}</root>")
    sources = [img.get("src") for img in root.iter("img")]
    assert sources == ["figures/shares.png", "figures/effects%20plot.png"]
    assert (out_dir / "figures" / "effects plot.png").is_file()
    headings = [_text(h) for h in root.iter("h1")]
    assert headings == ["Relationships of NGOs & <agencies>"]
    strong_code = [(e.tag, _text(e)) for e in root.iter() if e.tag in ("strong", "code")]
    assert ("code", "P(Y <= k)") in strong_code and ("strong", "published") in strong_code


def test_markdown_paragraph_shows_plain_text_as_written():
    paragraph = "- 1. A **bold** word, `x_1 * y`, *stars*, [a](http://x.org), a_b_c <b> &amp;"
    content = ReportContent("T", "", (ReportSection("notes", "Notes", paragraphs=(paragraph,)),))
    rendered = _markdown_it().render(render_markdown(content))
    root = ET.fromstring(f"<root>{rendered}</root>")
    notes = [p for p in root.iter("p") if "bold" in _text(p)]
    assert len(notes) == 1
    assert [child.tag for child in notes[0]] == ["strong", "code"]
    assert _text(notes[0]) == paragraph.replace("**", "").replace("`", "")
    assert not list(root.iter("ol"))
    assert [a.get("href") for a in root.iter("a") if a.get("href")] == ["#notes", "#metadata"]


def test_markdown_contents_lists_policy_first_with_anchors(content):
    text = render_markdown(content)
    toc = re.findall(r"^- \[(.+?)\]\(#(\w+)\)", text, flags=re.MULTILINE)
    assert [key for _, key in toc] == ["summary", "checks", "effects", "metadata"]
    anchors = re.findall(r'^<a id="(\w+)"></a>$', text, flags=re.MULTILINE)
    assert anchors == ["summary", "checks", "effects", "metadata"]


# ----------------------------------------------------------------------------------------------
# Writing, contracts and errors


def test_write_report_writes_both_files(content, out_dir):
    markdown_path, html_path = write_report(content, out_dir)
    assert (markdown_path, html_path) == (out_dir / "report.md", out_dir / "report.html")
    assert markdown_path.read_text(encoding="utf-8") == render_markdown(content)
    assert html_path.read_text(encoding="utf-8") == render_html(content, out_dir)


def test_missing_figure_writes_nothing(content, tmp_path):
    with pytest.raises(ReportError, match=r"figure file .*shares\.png' does not exist"):
        write_report(content, tmp_path)
    assert not (tmp_path / "report.md").exists() and not (tmp_path / "report.html").exists()


def test_a_file_that_is_not_png_is_refused(tmp_path):
    (tmp_path / "fake.png").write_text("not an image")
    section = ReportSection("s", "S", figures=(("fake", "fake.png"),))
    with pytest.raises(ReportError, match=r"fake\.png' is not a PNG image.*format='png'"):
        render_html(ReportContent("T", "", (section,), {}), tmp_path)


def test_rendering_and_construction_do_not_change_or_keep_the_callers_frames(out_dir):
    frame = _checks_frame()
    before = frame.copy()
    metadata = {"seed": 1}
    content = ReportContent(
        "T", "", (ReportSection("checks", "C", tables=(("c", frame),)),), metadata
    )
    render_html(content, out_dir)
    render_markdown(content)
    pd.testing.assert_frame_equal(frame, before)
    frame.loc[0, "figure"] = "changed later"
    metadata["seed"] = 2
    assert "changed later" not in render_markdown(content)
    assert content.metadata["seed"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "two words"}, r"section key 'two words' is not a valid id"),
        ({"audience": "public"}, r"audience 'public' is not one of 'policy', 'methodologist'"),
        ({"title": " "}, r"section 'k': title must be a non-empty string"),
        ({"tables": (("t", [1, 2]),)}, r"table 1 \('t'\) must be a pandas DataFrame, got list"),
        ({"tables": (pd.DataFrame(),)}, r"table 1 must be a \(caption, DataFrame\) pair"),
        ({"figures": (("f", "/abs/f.png"),)}, r"'/abs/f.png' must be relative to the output"),
        ({"figures": (("f", "../f.png"),)}, r"no '\.\.'"),
        ({"figures": (("f", "figures/f.svg"),)}, r"'figures/f.svg' is not a \.png file"),
        ({"paragraphs": "one string"}, r"paragraphs must be a sequence, got str"),
    ],
)
def test_bad_sections_are_refused(kwargs, message):
    arguments = {"key": "k", "title": "K"} | kwargs
    with pytest.raises(ReportError, match=message):
        ReportSection(**arguments)


def test_bad_contents_are_refused():
    section = ReportSection("a", "A")
    with pytest.raises(ReportError, match=r"'a' appear more than once"):
        ReportContent("T", "", (section, section), {})
    with pytest.raises(ReportError, match=r"section key 'contents' is used by the page itself"):
        ReportContent("T", "", (ReportSection("contents", "C"),), {})
    with pytest.raises(ReportError, match=r"ids 'a-table-1' would appear twice"):
        ReportContent(
            "T",
            "",
            (
                ReportSection("a", "A", tables=(("t", pd.DataFrame()),)),
                ReportSection("a-table-1", "B"),
            ),
            {},
        )
    with pytest.raises(ReportError, match=r"metadata must be a mapping.*got list"):
        ReportContent("T", "", (section,), [("seed", 1)])
    assert issubclass(ReportError, InteractModelError) and issubclass(ReportError, ValueError)


def test_report_module_does_not_import_matplotlib():
    code = "import sys, interactmodel.report; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"
