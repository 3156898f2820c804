"""The README's table of model figures agrees with the figures training wrote (models/metrics.json)."""

import json
from pathlib import Path

from listening.labels import LABELS

ROOT = Path(__file__).resolve().parent.parent


def readme_rows() -> dict[str, list[float]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| label | held-out disclosures | texting slice | out-of-fold"):]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("*`") for c in line.strip("|").split("|")]
        rows[cells[0]] = [float(c.strip("*")) for c in cells[1:]]
    return rows


def test_readme_figures_match_the_trained_model():
    metrics = json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    sources = [metrics["test"], metrics["slices"]["texting"], metrics["calibration"]]
    rows = readme_rows()
    for label in LABELS:
        assert rows[label] == [round(s["labels"][label]["f1"], 2) for s in sources], label
    assert rows["macro-F1"] == [round(s["macro_f1"], 2) for s in sources]
    assert rows["mean calibration error (ECE)"] == [round(s["mean_ece"], 3) for s in sources]
