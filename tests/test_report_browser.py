"""The HTML report in a real browser: Debian's Chromium, driven by playwright.

Checks what only a browser can: every embedded image decodes and loads, the page asks
for nothing over the network, the policy brief fits one printed A4 page, and the first
screen renders to a non-empty screenshot.  Playwright drives the system Chromium
(``/usr/bin/chromium``, Debian package ``chromium``); it never downloads a browser.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel.report import ReportContent, ReportSection, write_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A4 with the report's 12 mm print margins, in CSS pixels (96 per inch).
PX_PER_MM = 96 / 25.4
A4_CONTENT_WIDTH_PX = round((210 - 2 * 12) * PX_PER_MM)
A4_CONTENT_HEIGHT_PX = (297 - 2 * 12) * PX_PER_MM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's Chromium at /usr/bin/chromium: sudo apt-get install chromium",
)

CHECK_ROWS = 12


def _make_png(path: Path, size: tuple[float, float], dpi: int) -> tuple[int, int]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=size, dpi=dpi)
    ax.plot(np.arange(5), np.arange(5) ** 2, marker="o")
    ax.set_title("synthetic")
    fig.savefig(path, format="png", dpi=dpi)
    plt.close(fig)
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def _content() -> ReportContent:
    checks = pd.DataFrame(
        {
            "source": [f"Table 1, rating {i}" for i in range(1, CHECK_ROWS + 1)],
            "published": np.linspace(10.0, 70.0, CHECK_ROWS),
            "implied": np.linspace(10.4, 69.1, CHECK_ROWS),
            "within_tolerance": [True] * (CHECK_ROWS - 1) + [False],
        }
    )
    summary_paragraphs = (
        "NGOs that meet state agencies **often** rate the relationship better: in the model, "
        "moving from rare to monthly contact raises the share rating it good or very good.",
        "The article's own percentages are reproduced to within rounding for most cells; the "
        "exceptions are listed in the checks below.",
        "The numbers rest on respondent-level data reconstructed from published percentages, "
        "so they carry that uncertainty too.",
    )
    key_numbers = pd.DataFrame(
        {"partner": ["state agencies", "businesses"], "share_good": [0.561, 0.482]}
    )
    return ReportContent(
        title="Contact and relationship quality <NGOs in Kazakhstan>",
        subtitle="Synthetic report for the browser test",
        sections=(
            ReportSection(
                "checks",
                "Checks against the article",
                paragraphs=("Each row compares a published percentage with the model.",),
                tables=(("Article checks <script>", checks),),
            ),
            ReportSection(
                "effects",
                "Effects",
                figures=(("Predicted probabilities", "figures/effects.png"),),
            ),
            ReportSection(
                "summary",
                "Summary",
                paragraphs=summary_paragraphs,
                tables=(("Key numbers", key_numbers),),
                figures=(("Share rating the relationship good", "figures/summary.png"),),
                audience="policy",
            ),
        ),
        metadata={"seed": 1, "python": "3.11"},
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, int]]]:
    out_dir = tmp_path_factory.mktemp("report")
    sizes = {
        "summary": _make_png(out_dir / "figures" / "summary.png", (6, 3), dpi=100),
        "effects": _make_png(out_dir / "figures" / "effects.png", (7, 4), dpi=80),
    }
    _, html_path = write_report(_content(), out_dir)
    return html_path, sizes


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, report):
    html_path, _ = report
    context = browser.new_context(offline=True, viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(html_path.as_uri(), wait_until="load")
    yield page
    context.close()
    # The page is self-contained: it asks for itself and nothing else.
    assert [url for url in requested if not url.startswith(("file:", "data:"))] == []
    assert errors == []


def test_every_image_loads(page, report):
    _, sizes = report
    images = page.evaluate(
        """() => Array.from(document.images).map(img => ({
            figure: img.closest('section').id, complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            embedded: img.src.startsWith('data:image/png;base64,')}))"""
    )
    assert len(images) == len(sizes)
    for image in images:
        assert image["complete"] and image["embedded"]
        assert image["width"] > 0
        assert (image["width"], image["height"]) == sizes[image["figure"]]


def test_summary_and_checks_tables_are_present(page):
    assert page.locator("#policy-brief > section#summary").count() == 1
    first_section = page.evaluate("() => document.querySelector('section').id")
    assert first_section == "summary"
    assert page.locator("#summary table tbody tr").count() == 2
    checks = page.locator("#checks table.checks-table")
    assert checks.count() == 1
    assert checks.locator("tbody tr").count() == CHECK_ROWS
    assert checks.locator("caption").inner_text() == "Table 2. Article checks <script>"
    # the brief is above the contents, which are above the detail, on screen too
    tops = page.evaluate(
        """() => ['#summary', '#contents', '#checks', '#metadata'].map(
            s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert tops == sorted(tops)


def _pdf_pages(pdf: bytes) -> int:
    # Chromium writes one uncompressed "/Type /Page" dictionary per page ("/Pages" is the tree).
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_policy_brief_fits_one_printed_page(page):
    full = page.pdf(format="A4", prefer_css_page_size=True)
    assert _pdf_pages(full) >= 2  # the brief, then the detail on a page of its own

    page.set_viewport_size({"width": A4_CONTENT_WIDTH_PX, "height": 1200})
    page.emulate_media(media="print")
    bottom = page.evaluate(
        "() => document.querySelector('#policy-brief').getBoundingClientRect().bottom"
        " + window.scrollY"
    )
    assert 0 < bottom <= A4_CONTENT_HEIGHT_PX
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('#policy-brief')).breakAfter")
        == "page"
    )
    # Printed alone (header and brief, without the break after it), the brief is one page.
    page.evaluate(
        """() => {
            const brief = document.querySelector('#policy-brief');
            while (brief.nextElementSibling) brief.nextElementSibling.remove();
            brief.style.breakAfter = 'auto';
        }"""
    )
    assert _pdf_pages(page.pdf(format="A4", prefer_css_page_size=True)) == 1


def test_first_page_screenshot_is_a_non_empty_png(page, tmp_path):
    from PIL import Image

    path = tmp_path / "first_page.png"
    page.screenshot(path=str(path))
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1000, 1400)
        extrema = image.convert("L").getextrema()
    assert extrema[0] < extrema[1]  # not a blank page
