"""Markdown for the benchmark reports (``benchmarks/results/*.md``)."""

from __future__ import annotations

import pandas as pd


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (index not shown).

    >>> print(markdown_table(pd.DataFrame({"parameter": ["theta[a|b]"], "p": [0.5]})))
    | parameter | p |
    |---|---|
    | theta[a\\|b] | 0.5 |
    """
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    # a "|" inside a cell (threshold names) would split the column: escape it
    body = [
        "| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])
