"""The teaching notebooks run top to bottom, and the committed copies carry their outputs.

Each notebook in notebooks/ is executed in a fresh ``python3`` kernel with notebooks/ as its
working directory, the way a reader would run it; the notebooks check their own numbers with
``assert``, so a change in dualdiff that breaks what they teach fails here. nbclient, nbformat
and ipykernel are in the ``test`` extra: this module does not skip when they are missing.
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
TIMEOUT = 120  # seconds per cell
MAX_BYTES = 300 * 1024


def test_the_five_notebooks_are_there():
    assert [p.name for p in PATHS] == [
        "01_forward_mode_by_hand.ipynb",
        "02_directional_derivatives_and_jacobians.ipynb",
        "03_second_order.ipynb",
        "04_truncation_vs_rounding.ipynb",
        "05_staging_generated_code.ipynb",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_notebook_executes(path, monkeypatch):
    # The kernel imports this checkout's dualdiff, whatever else is installed.
    path_entries = [str(ROOT), os.environ.get("PYTHONPATH")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, path_entries)))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_committed_notebook_carries_its_outputs(path):
    """Every code cell was run, in order, without errors; the figures are saved; size is modest."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: not run top to bottom"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{path.name}: no figure"
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size} bytes"
