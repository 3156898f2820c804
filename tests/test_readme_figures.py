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


def test_readme_figures_for_exercises_match_the_trained_model():
    import re

    metrics = json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"Scored that way, the same held-out replies give macro-F1 ([0-9.]+), with "
                      r"`defensiveness` at ([0-9.]+) instead of ([0-9.]+)", text)
    assert found, "the README no longer states the held-out figures scored as exercises"
    written, read = metrics["test_authored_context"], metrics["test"]
    assert float(found[1]) == round(written["macro_f1"], 2)
    assert float(found[2]) == round(written["labels"]["defensiveness"]["f1"], 2)
    assert float(found[3]) == round(read["labels"]["defensiveness"]["f1"], 2)


def test_the_readme_limitations_state_the_trained_models_figures():
    import re

    metrics = json.loads((ROOT / "models" / "metrics.json").read_text(encoding="utf-8"))
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"macro-F1 is ([0-9.]+) on disclosures the model never saw and ([0-9.]+) on the "
                      r"separately written texting slice", text)
    assert found, "the README's limitations no longer state the held-out figures"
    assert float(found[1]) == round(metrics["test"]["macro_f1"], 2)
    assert float(found[2]) == round(metrics["slices"]["texting"]["macro_f1"], 2)
