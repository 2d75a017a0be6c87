"""The report of a run, rendered as Markdown and as a self-contained HTML page.

The pipeline computes everything first and hands this module a plain
:class:`ReportContent`; this module only renders it.  Sections written for policy
teams (``audience="policy"``) come first, as a plain-language brief that prints on
one page; the methodologist's detail follows, and a table of the versions, seeds
and settings of the run closes the report.

The HTML page needs nothing but itself: every figure is embedded as a base64
``data:`` URI, the CSS is inline, and there are no scripts, web fonts or links to
other sites, so it opens offline and can be mailed as one file.  The Markdown
version links the figures by their path relative to the output folder.

Text is plain: a paragraph may mark ``**bold**`` and ```code```, and nothing else
is interpreted; everything is escaped for the format it is written into.  Numbers
in tables are formatted here (3 significant digits after the decimal point for
floats, integers as integers, a missing value as an em dash), so the pipeline
passes tidy frames of raw numbers.

This module draws nothing and does not import matplotlib: figures arrive as PNG
files that the pipeline has already written.
"""

from __future__ import annotations

import base64
import html
import math
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from interactmodel.errors import InteractModelError, format_values

__all__ = [
    "AUDIENCES",
    "ReportContent",
    "ReportError",
    "ReportSection",
    "render_html",
    "render_markdown",
    "write_report",
]

AUDIENCES = ("policy", "methodologist")
MISSING = "\u2014"  # em dash
METADATA_KEY = "metadata"
METADATA_TITLE = "Versions and settings"
POLICY_LABEL = "For policy teams: the plain-language summary"
# Ids the page itself uses; a section key may not take them.
_RESERVED_IDS = frozenset({"contents", "details", "policy-brief", METADATA_KEY})
_KEY_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
# Characters Markdown could read as markup (emphasis, links, HTML, entities, table cells).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|&#!])")


class ReportError(InteractModelError, ValueError):
    """The report content cannot be rendered as it is (bad key, missing figure, ...)."""


# ----------------------------------------------------------------------------------------------
# The content


def _as_tuple(value: Any, argument: str) -> tuple[Any, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ReportError(
            f"{argument} must be a sequence, got {type(value).__name__} {value!r:.60}; "
            "wrap a single item in a tuple, e.g. (item,)"
        )
    return tuple(value)


def _check_figure_path(path: Any, where: str) -> str:
    if not isinstance(path, str) or not path:
        raise ReportError(f"{where}: the figure path must be a non-empty string, got {path!r}")
    posix = PurePosixPath(path)
    if "\\" in path or posix.is_absolute() or ".." in posix.parts:
        raise ReportError(
            f"{where}: figure path {path!r} must be relative to the output folder and stay "
            "inside it (forward slashes, no '..'), e.g. 'figures/effects.png'"
        )
    if posix.suffix.lower() != ".png":
        raise ReportError(
            f"{where}: figure path {path!r} is not a .png file; save the figure as PNG "
            "(savefig(..., format='png')) and pass that path"
        )
    return path


@dataclass(frozen=True)
class ReportSection:
    """One section of the report.

    Parameters
    ----------
    key : str
        Stable identifier, used as the HTML ``id`` (letters, digits, ``-`` and ``_``,
        starting with a letter), e.g. ``"summary"`` or ``"checks"``.
    title : str
        The heading.
    paragraphs : tuple of str
        Plain text; ``**bold**`` and ```code``` are rendered, everything else is shown
        as written.
    tables : tuple of (str, pandas.DataFrame)
        ``(caption, tidy frame)`` pairs.  The frame is copied, so changing it later
        does not change the report.  A table of section ``key`` carries the HTML class
        ``"<key>-table"``.
    figures : tuple of (str, str)
        ``(caption, path)`` pairs; ``path`` is a PNG relative to the output folder.
    audience : {"methodologist", "policy"}
        Policy sections open the report as a one-page brief.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    figures: tuple[tuple[str, str], ...] = ()
    audience: str = "methodologist"

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY_PATTERN.fullmatch(self.key):
            raise ReportError(
                f"section key {self.key!r} is not a valid id; use letters, digits, '-' and '_', "
                "starting with a letter, e.g. 'summary'"
            )
        where = f"section {self.key!r}"
        if not isinstance(self.title, str) or not self.title.strip():
            raise ReportError(f"{where}: title must be a non-empty string, got {self.title!r}")
        if self.audience not in AUDIENCES:
            raise ReportError(
                f"{where}: audience {self.audience!r} is not one of {format_values(AUDIENCES)}; "
                "use 'policy' for the plain-language brief"
            )
        paragraphs = _as_tuple(self.paragraphs, f"{where}: paragraphs")
        for paragraph in paragraphs:
            if not isinstance(paragraph, str):
                raise ReportError(f"{where}: every paragraph must be a str, got {paragraph!r:.60}")
        object.__setattr__(self, "paragraphs", paragraphs)
        object.__setattr__(self, "tables", self._checked_tables(where))
        object.__setattr__(self, "figures", self._checked_figures(where))

    def _checked_tables(self, where: str) -> tuple[tuple[str, pd.DataFrame], ...]:
        tables = []
        for number, item in enumerate(_as_tuple(self.tables, f"{where}: tables"), start=1):
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ReportError(
                    f"{where}: table {number} must be a (caption, DataFrame) pair, got {item!r:.60}"
                )
            caption, frame = item
            if not isinstance(frame, pd.DataFrame):
                raise ReportError(
                    f"{where}: table {number} ({caption!r}) must be a pandas DataFrame, "
                    f"got {type(frame).__name__}; convert it with pandas.DataFrame(...)"
                )
            tables.append((caption, frame.copy()))
        return tuple(tables)

    def _checked_figures(self, where: str) -> tuple[tuple[str, str], ...]:
        figures = []
        for number, item in enumerate(_as_tuple(self.figures, f"{where}: figures"), start=1):
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise ReportError(
                    f"{where}: figure {number} must be a (caption, path) pair, got {item!r:.60}"
                )
            figures.append((item[0], _check_figure_path(item[1], f"{where}, figure {number}")))
        return tuple(figures)


@dataclass(frozen=True)
class ReportContent:
    """Everything the report shows, computed before rendering.

    Parameters
    ----------
    title, subtitle : str
    sections : tuple of ReportSection
        In the order the pipeline wants them; rendering puts policy sections first and
        otherwise keeps this order.  Keys must be unique and not one of the page's own
        ids (``contents``, ``details``, ``policy-brief``, ``metadata``).
    metadata : Mapping
        Versions, seeds, settings and date of the run; rendered as the last table,
        values shown exactly (``str``), nested mappings as ``outer.inner`` rows.
    """

    title: str
    subtitle: str
    sections: tuple[ReportSection, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise ReportError(f"report title must be a non-empty string, got {self.title!r}")
        if not isinstance(self.subtitle, str):
            raise ReportError(f"report subtitle must be a string, got {self.subtitle!r}")
        sections = _as_tuple(self.sections, "sections")
        for section in sections:
            if not isinstance(section, ReportSection):
                raise ReportError(
                    f"every section must be a ReportSection, got {type(section).__name__}"
                )
        keys = [section.key for section in sections]
        duplicated = [key for key in keys if keys.count(key) > 1]
        if duplicated:
            raise ReportError(
                f"section keys must be unique; {format_values(duplicated)} appear more than "
                "once: rename one of them"
            )
        reserved = [key for key in keys if key in _RESERVED_IDS]
        if reserved:
            raise ReportError(
                f"section key {format_values(reserved)} is used by the page itself "
                f"(reserved: {format_values(sorted(_RESERVED_IDS))}); choose another key"
            )
        if not isinstance(self.metadata, Mapping):
            raise ReportError(
                f"metadata must be a mapping of setting -> value, got {type(self.metadata).__name__}"
            )
        object.__setattr__(self, "sections", sections)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        _check_unique_ids(sections)


# ----------------------------------------------------------------------------------------------
# Layout shared by both formats


@dataclass(frozen=True)
class _Table:
    id: str
    number: int
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class _Figure:
    id: str
    number: int
    caption: str
    path: str


@dataclass(frozen=True)
class _Block:
    """A section as rendered: numbered tables and figures, formatted cells."""

    key: str
    title: str
    audience: str
    paragraphs: tuple[str, ...]
    tables: tuple[_Table, ...]
    figures: tuple[_Figure, ...]


def _ordered(content: ReportContent) -> list[_Block]:
    """Policy sections first, then the rest, then the metadata; tables and figures numbered."""
    sections = [s for s in content.sections if s.audience == "policy"]
    sections += [s for s in content.sections if s.audience != "policy"]
    metadata = ReportSection(
        key=METADATA_KEY,
        title=METADATA_TITLE,
        paragraphs=() if content.metadata else ("No versions or settings were recorded.",),
        tables=(("Versions, seeds and settings of this run", _metadata_frame(content.metadata)),)
        if content.metadata
        else (),
    )
    blocks = []
    table_number = figure_number = 0
    for section in [*sections, metadata]:
        tables = []
        for index, (caption, frame) in enumerate(section.tables, start=1):
            table_number += 1
            header, rows, numeric = _format_frame(frame)
            tables.append(
                _Table(f"{section.key}-table-{index}", table_number, caption, header, rows, numeric)
            )
        figures = []
        for index, (caption, path) in enumerate(section.figures, start=1):
            figure_number += 1
            figures.append(_Figure(f"{section.key}-figure-{index}", figure_number, caption, path))
        blocks.append(
            _Block(
                section.key,
                section.title,
                section.audience,
                section.paragraphs,
                tuple(tables),
                tuple(figures),
            )
        )
    return blocks


def _check_unique_ids(sections: Sequence[ReportSection]) -> None:
    ids = [*_RESERVED_IDS, f"{METADATA_KEY}-table-1"]
    for section in sections:
        ids.append(section.key)
        ids += [f"{section.key}-table-{i}" for i in range(1, len(section.tables) + 1)]
        ids += [f"{section.key}-figure-{i}" for i in range(1, len(section.figures) + 1)]
    clashes = sorted({i for i in ids if ids.count(i) > 1})
    if clashes:
        raise ReportError(
            f"the HTML ids {format_values(clashes)} would appear twice (a section key ending in "
            "'-table-N' or '-figure-N' clashes with another section's tables); rename the section"
        )


def _metadata_frame(metadata: Mapping[str, Any]) -> pd.DataFrame:
    rows = list(_flatten(metadata, prefix=""))
    return pd.DataFrame(rows, columns=["setting", "value"], dtype=object)


def _flatten(mapping: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, prefix=f"{name}.")
        elif isinstance(value, list | tuple | set | frozenset):
            # Settings must be shown exactly, so str(), never the table's rounding.
            yield name, ", ".join(str(item) for item in value)
        else:
            yield name, str(value)


# ----------------------------------------------------------------------------------------------
# Numbers and cells


def _is_missing(value: Any) -> bool:
    try:
        missing = pd.isna(value)
    except (TypeError, ValueError):
        return False
    return isinstance(missing, bool | np.bool_) and bool(missing)


def _format_float(value: float) -> str:
    """Three significant digits after the point: 12.346, 0.500, 0.0123, 1.23e-05."""
    if math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e6 or magnitude < 1e-4:
        return f"{value:.2e}"
    if magnitude >= 1:
        return f"{value:.3f}"
    decimals = 2 - math.floor(math.log10(magnitude))
    return f"{value:.{decimals}f}"


def _format_scalar(value: Any) -> str:
    if _is_missing(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _format_float(float(value))
    return str(value)


def _format_column(column: pd.Series) -> tuple[list[str], bool]:
    """Formatted cells of one column, and whether it is numeric (right-aligned)."""
    dtype = column.dtype
    values = column.tolist()
    if pd.api.types.is_bool_dtype(dtype):
        return [_format_scalar(v) for v in values], False
    if pd.api.types.is_float_dtype(dtype):
        present = [float(v) for v in values if not _is_missing(v)]
        # A float column of whole numbers (counts with a missing value) reads as integers.
        if present and all(math.isfinite(v) and v.is_integer() and abs(v) < 1e15 for v in present):
            return [MISSING if _is_missing(v) else str(int(v)) for v in values], True
        return [_format_scalar(v) for v in values], True
    numeric = pd.api.types.is_numeric_dtype(dtype)
    return [_format_scalar(v) for v in values], numeric


def _column_name(name: Any) -> str:
    if isinstance(name, tuple):
        return " / ".join(str(part) for part in name if str(part))
    return str(name)


def _format_frame(
    frame: pd.DataFrame,
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...], tuple[bool, ...]]:
    index = frame.index
    default_index = (
        isinstance(index, pd.RangeIndex)
        and index.start == 0
        and index.step == 1
        and index.name is None
    )
    if not default_index:
        frame = frame.reset_index()  # a labelled index is data the reader needs to see
    header = tuple(_column_name(name) for name in frame.columns)
    columns = [_format_column(frame.iloc[:, j]) for j in range(frame.shape[1])]
    rows = tuple(zip(*(cells for cells, _ in columns), strict=True)) if columns else ()
    return header, tuple(tuple(r) for r in rows), tuple(numeric for _, numeric in columns)


# ----------------------------------------------------------------------------------------------
# Markdown


def _md_escape(text: str) -> str:
    """Plain text -> Markdown that shows it as written, on one line."""
    return _md_escape_raw(" ".join(text.split()))


def _md_escape_raw(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_inline(text: str) -> str:
    """Plain text with ``**bold**`` and ```code``` -> Markdown."""
    text = " ".join(text.split())
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_md_bold(text[position : match.start()]))
        parts.append(f"`{match.group(1)}`")
        position = match.end()
    parts.append(_md_bold(text[position:]))
    return "".join(parts)


def _md_bold(text: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _BOLD.finditer(text):
        parts.append(_md_escape_raw(text[position : match.start()]))
        parts.append(f"**{_md_escape_raw(match.group(1))}**")
        position = match.end()
    parts.append(_md_escape_raw(text[position:]))
    escaped = "".join(parts)
    # A paragraph opening with "-", "+", "=" or "1." would become a list or a heading rule.
    return re.sub(r"^([-+=])", r"\\\1", re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped))


def _md_table(table: _Table) -> list[str]:
    header = [_md_escape(cell) or " " for cell in table.header]
    rows = [[_md_escape(cell) for cell in row] for row in table.rows]
    widths = [max(3, len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.rjust(width) if numeric else cell.ljust(width)
            for cell, width, numeric in zip(cells, widths, table.numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        ("-" * (w - 1) + ":") if numeric else "-" * w
        for w, numeric in zip(widths, table.numeric, strict=True)
    )
    return [line(header), "| " + " | ".join(rule) + " |", *(line(r) for r in rows)]


def _md_block(block: _Block) -> list[str]:
    lines = [f'<a id="{block.key}"></a>', "", f"## {_md_escape(block.title)}", ""]
    for paragraph in block.paragraphs:
        lines += [_md_inline(paragraph), ""]
    for table in block.tables:
        lines += [f"**Table {table.number}.** {_md_escape(table.caption)}", ""]
        if table.header:
            lines += [*_md_table(table), ""]
        else:
            lines += ["*(This table has no columns.)*", ""]
    for figure in block.figures:
        label = f"Figure {figure.number}. {figure.caption}"
        lines += [f"![{_md_escape(label)}]({quote(figure.path, safe='/')})", ""]
        lines += [f"*Figure {figure.number}.* {_md_escape(figure.caption)}", ""]
    return lines


def render_markdown(content: ReportContent) -> str:
    """Render the report as GitHub-flavoured Markdown.

    Policy sections come first, then the others, then the versions and settings.
    Figures are linked by their path relative to the output folder, so the file
    belongs next to them.

    Parameters
    ----------
    content : ReportContent

    Returns
    -------
    str
        The Markdown text, ending with a newline.

    Examples
    --------
    >>> import pandas as pd
    >>> section = ReportSection(
    ...     "checks", "Checks", tables=(("Shares", pd.DataFrame({"n": [3], "share": [0.25]})),)
    ... )
    >>> text = render_markdown(ReportContent("Run", "", (section,), {"seed": 1}))
    >>> print(text[text.index("**Table 1"):text.index('<a id="metadata"')].strip())
    **Table 1.** Shares
    <BLANKLINE>
    |   n | share |
    | --: | ----: |
    |   3 | 0.250 |
    """
    blocks = _ordered(content)
    lines = [f"# {_md_escape(content.title)}", ""]
    if content.subtitle.strip():
        lines += [_md_escape(content.subtitle), ""]
    lines += ["## Contents", ""]
    for block in blocks:
        note = " (for policy teams)" if block.audience == "policy" else ""
        lines.append(f"- [{_md_escape(block.title)}](#{block.key}){note}")
    lines.append("")
    if any(block.audience == "policy" for block in blocks):
        lines += [f"*{POLICY_LABEL}*", ""]
    for block in blocks:
        lines += _md_block(block)
    return "\n".join(lines).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------------------------
# HTML

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  line-height: 1.5; color: #1b1b1b; background: #fff; max-width: 62rem; margin: 0 auto;
  padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin: 1.75rem 0 0.5rem; border-bottom: 1px solid #d0d7de; }
.subtitle { color: #454545; margin: 0 0 0.5rem; }
.skip { font-size: 0.85rem; margin: 0; }
.policy-brief { background: #eef4fa; border-left: 6px solid #1f5f99; padding: 0.25rem 1.25rem 0.75rem;
  margin: 1rem 0 1.5rem; }
.policy-brief h2 { border-bottom: none; margin-top: 0.75rem; }
.policy-brief p { font-size: 1.05rem; }
.audience-label { text-transform: uppercase; letter-spacing: 0.05em; font-size: 0.8rem;
  font-weight: 700; color: #1f5f99; margin: 0.75rem 0 0; }
.toc ol { padding-left: 1.5rem; margin: 0.25rem 0; }
.toc .audience { font-size: 0.8rem; color: #1f5f99; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0 1.25rem; font-size: 0.9rem;
  font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.3rem; }
th, td { border-bottom: 1px solid #d0d7de; padding: 0.2rem 0.6rem; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #555; }
th.num, td.num { text-align: right; }
td.empty { color: #666; font-style: italic; }
figure { margin: 1rem 0 1.5rem; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #333; margin-top: 0.3rem; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 0.9em;
  background: #f0f0f4; padding: 0 0.2em; }
@media print {
  @page { size: A4; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10pt; line-height: 1.35; }
  h1 { font-size: 16pt; }
  h2 { font-size: 12.5pt; break-after: avoid; page-break-after: avoid; }
  .skip { display: none; }
  .policy-brief { background: none; border-left: 3px solid #1f5f99; margin: 0.5rem 0 0;
    break-after: page; page-break-after: always; }
  .policy-brief p { font-size: 10.5pt; }
  .policy-brief figure img { max-height: 8cm; width: auto; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
""".strip()


def _html_inline(text: str) -> str:
    """Plain text with ``**bold**`` and ```code``` -> escaped HTML."""
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_html_bold(text[position : match.start()]))
        parts.append(f"<code>{html.escape(match.group(1))}</code>")
        position = match.end()
    parts.append(_html_bold(text[position:]))
    return "".join(parts)


def _html_bold(text: str) -> str:
    # Escaping leaves "*" alone, so the bold markers survive it.
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(text))


def _png_data_uri(out_dir: Path, figure: _Figure, where: str) -> tuple[str, int, int]:
    path = out_dir / figure.path
    if not path.is_file():
        raise ReportError(
            f"{where}: figure file {str(path)!r} does not exist; write the PNG into the output "
            "folder before rendering the report, or drop the figure from the section"
        )
    data = path.read_bytes()
    if not data.startswith(_PNG_SIGNATURE) or len(data) < 24 or data[12:16] != b"IHDR":
        raise ReportError(
            f"{where}: figure file {str(path)!r} is not a PNG image (its first bytes are "
            f"{data[:8]!r}); save it with savefig(..., format='png')"
        )
    width, height = struct.unpack(">II", data[16:24])
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), width, height


def _html_table(table: _Table, key: str) -> list[str]:
    classes = f"data-table {key}-table"
    lines = [
        '<div class="table-wrap">',
        f'<table id="{table.id}" class="{classes}">',
        f"<caption>Table {table.number}. {html.escape(table.caption)}</caption>",
    ]
    if not table.header:
        lines += ['<tbody><tr><td class="empty">This table has no columns.</td></tr></tbody>']
        return [*lines, "</table>", "</div>"]

    def cell(tag: str, text: str, numeric: bool) -> str:
        extra = ' scope="col"' if tag == "th" else ""
        css = ' class="num"' if numeric else ""
        return f"<{tag}{extra}{css}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", h, n) for h, n in zip(table.header, table.numeric, strict=True))
    lines += ["<thead>", f"<tr>{head}</tr>", "</thead>", "<tbody>"]
    for row in table.rows:
        lines.append(
            "<tr>"
            + "".join(cell("td", c, n) for c, n in zip(row, table.numeric, strict=True))
            + "</tr>"
        )
    if not table.rows:
        lines.append(f'<tr><td class="empty" colspan="{len(table.header)}">No rows.</td></tr>')
    return [*lines, "</tbody>", "</table>", "</div>"]


def _html_block(block: _Block, out_dir: Path) -> list[str]:
    lines = [
        f'<section id="{block.key}" class="report-section audience-{block.audience}">',
        f"<h2>{html.escape(block.title)}</h2>",
    ]
    lines += [f"<p>{_html_inline(paragraph)}</p>" for paragraph in block.paragraphs]
    for table in block.tables:
        lines += _html_table(table, block.key)
    for figure in block.figures:
        where = f"section {block.key!r}, figure {figure.number} ({figure.caption!r})"
        uri, width, height = _png_data_uri(out_dir, figure, where)
        caption = html.escape(figure.caption)
        lines += [
            f'<figure id="{figure.id}">',
            f'<img src="{uri}" alt="{caption}" width="{width}" height="{height}" />',
            f"<figcaption>Figure {figure.number}. {caption}</figcaption>",
            "</figure>",
        ]
    return [*lines, "</section>"]


def render_html(content: ReportContent, out_dir: Path) -> str:
    """Render the report as one self-contained HTML page.

    The page opens with the policy sections (a brief that prints on one page), then a
    table of contents, the methodologist's sections and the versions and settings.
    Every figure is read from ``out_dir`` and embedded as a base64 PNG; there are no
    external resources, scripts or fonts.  The markup is also well-formed XML.

    Parameters
    ----------
    content : ReportContent
    out_dir : pathlib.Path
        The folder the figure paths are relative to.

    Returns
    -------
    str

    Raises
    ------
    ReportError
        If a figure file is missing or is not a PNG.
    """
    out_dir = Path(out_dir)
    blocks = _ordered(content)
    policy = [block for block in blocks if block.audience == "policy"]
    details = [block for block in blocks if block.audience != "policy"]
    title = html.escape(content.title)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        '<meta name="viewport" content="width=device-width, initial-scale=1" />',
        f"<title>{title}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        '<header class="report-header">',
        f"<h1>{title}</h1>",
    ]
    if content.subtitle.strip():
        lines.append(f'<p class="subtitle">{html.escape(content.subtitle)}</p>')
    lines += ['<p class="skip"><a href="#contents">Contents</a></p>', "</header>", "<main>"]
    if policy:
        lines += [
            '<div id="policy-brief" class="policy-brief">',
            f'<p class="audience-label">{html.escape(POLICY_LABEL)}</p>',
        ]
        for block in policy:
            lines += _html_block(block, out_dir)
        lines.append("</div>")
    lines += ['<nav id="contents" class="toc" aria-label="Contents">', "<h2>Contents</h2>", "<ol>"]
    for block in blocks:
        note = ' <span class="audience">(for policy teams)</span>' if block in policy else ""
        lines.append(f'<li><a href="#{block.key}">{html.escape(block.title)}</a>{note}</li>')
    lines += ["</ol>", "</nav>", '<div id="details" class="details">']
    for block in details:
        lines += _html_block(block, out_dir)
    lines += ["</div>", "</main>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"


def write_report(content: ReportContent, out_dir: Path) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``.

    Both are rendered before either is written, so a missing figure leaves no
    half-written report.  Existing report files are replaced (whether the output
    folder may be reused is the caller's decision).

    Parameters
    ----------
    content : ReportContent
    out_dir : pathlib.Path
        The output folder; the figure paths are relative to it.  Created if missing.

    Returns
    -------
    tuple of pathlib.Path
        The paths of ``report.md`` and ``report.html``.
    """
    out_dir = Path(out_dir)
    markdown = render_markdown(content)
    page = render_html(content, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown_path = out_dir / "report.md"
    html_path = out_dir / "report.html"
    markdown_path.write_text(markdown, encoding="utf-8", newline="\n")
    html_path.write_text(page, encoding="utf-8", newline="\n")
    return markdown_path, html_path
