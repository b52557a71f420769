"""Re-execute the teaching notebooks in place, so their saved outputs are current.

    python notebooks/execute.py                  # every notebook in notebooks/
    python notebooks/execute.py 03_second_order.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel with notebooks/ as its working
directory (as in tests/test_notebooks.py) and is saved with its outputs. PNG figures are then
stored as 128-colour palette images: the figures look the same, and the notebook files stay
small enough to read on GitHub (each well under 300 KB).
"""

from __future__ import annotations

import base64
import io
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
TIMEOUT = 120  # seconds per cell
COLOURS = 128


def shrink_png(data: str) -> str:
    """A base64 PNG re-encoded as a palette image of at most COLOURS colours (if smaller)."""
    from PIL import Image

    raw = base64.b64decode(data)
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    out = io.BytesIO()
    image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT).save(out, format="png", optimize=True)
    if out.tell() >= len(raw):
        return data
    return base64.b64encode(out.getvalue()).decode("ascii")


def execute(path: Path) -> float:
    """Run one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
        record_timing=False,  # no timestamps in the saved cells: clean diffs
    ).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = shrink_png(data["image/png"])
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> None:
    paths = [HERE / name for name in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        seconds = execute(path)
        print(f"{path.name}: {seconds:.1f} s, {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
