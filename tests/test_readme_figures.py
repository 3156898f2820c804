"""The README's table of model figures agrees with the figures training wrote (models/metrics.json)."""

import json
import re
from pathlib import Path

from listening.labels import LABELS

ROOT = Path(__file__).resolve().parent.parent


def readme_rows() -> dict[str, list[float]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| label | held-out disclosures | texting slice | voices slice | out-of-fold"):]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("*`") for c in line.strip("|").split("|")]
        rows[cells[0]] = [float(c.strip("*")) for c in cells[1:]]
    return rows


def shipped_metrics() -> dict:
    return json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))


def readme_figures(pattern: str, what: str) -> list[float]:
    """The numbers a README sentence states (spacing and line breaks ignored)."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(pattern, text)
    assert found, f"the README no longer states {what}"
    return [float(n) for n in found.groups()]


def test_readme_figures_match_the_trained_model():
    metrics = shipped_metrics()
    sources = [metrics["test"], metrics["slices"]["texting"], metrics["slices"]["voices"], metrics["calibration"]]
    rows = readme_rows()
    for label in LABELS:
        assert rows[label] == [round(s["labels"][label]["f1"], 2) for s in sources], label
    assert rows["macro-F1"] == [round(s["macro_f1"], 2) for s in sources]
    assert rows["mean calibration error (ECE)"] == [round(s["mean_ece"], 3) for s in sources]


def test_readme_figures_for_exercises_match_the_trained_model():
    metrics = shipped_metrics()
    stated = readme_figures(r"Scored that way, the same held-out replies give macro-F1 ([0-9.]+), with "
                            r"`defensiveness` at ([0-9.]+) instead of ([0-9.]+)", "the held-out figures scored as exercises")
    written, read = metrics["test_authored_context"], metrics["test"]
    assert stated == [round(written["macro_f1"], 2), round(written["labels"]["defensiveness"]["f1"], 2),
                      round(read["labels"]["defensiveness"]["f1"], 2)]


def test_the_readme_limitations_state_the_trained_models_figures():
    metrics = shipped_metrics()
    stated = readme_figures(r"macro-F1 is ([0-9.]+) on disclosures the model never saw, and ([0-9.]+) and ([0-9.]+) "
                            r"on the two separately written slices", "the held-out figures in its limitations")
    assert stated == [round(metrics["test"]["macro_f1"], 2), round(metrics["slices"]["texting"]["macro_f1"], 2),
                      round(metrics["slices"]["voices"]["macro_f1"], 2)]
