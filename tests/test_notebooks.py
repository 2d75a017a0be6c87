"""The walkthrough notebook runs from top to bottom (with tiny sampler settings)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "reproduce_article.ipynb"
TINY_SETTINGS = "RECONSTRUCTIONS = 2\nDRAWS, TUNE, CHAINS = 100, 100, 2\nSEED = 3"


def test_reproduce_article_notebook_executes(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    settings = [
        c for c in notebook.cells if c.cell_type == "code" and "RECONSTRUCTIONS =" in c.source
    ]
    assert len(settings) == 1, "the notebook needs exactly one settings cell"
    settings[0].source = TINY_SETTINGS
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    text = "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "cannot come from 245 respondents" in text
    assert "contradicts_article" in text
    if not any(
        "image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", [])
    ):
        pytest.fail("the trend figure did not render")
