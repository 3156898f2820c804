import re
from pathlib import Path

from listening.labels import BARRIERS, BY_NAME, LABELS, PRACTICES, SKILLS


def test_the_eight_labels_in_their_public_order():
    assert LABELS == ("judgment", "defensiveness", "premature_advice", "minimizing", "self_focus",
                      "validation", "reflection", "open_question")
    assert set(BARRIERS) | set(SKILLS) == set(LABELS) and not set(BARRIERS) & set(SKILLS)


def test_every_label_ties_to_known_practices_and_core_ones_lead():
    for label in LABELS:
        practices = BY_NAME[label].practices
        assert practices and all(p in PRACTICES for p in practices)
    assert {n for n, p in PRACTICES.items() if p.core} == {1, 2, 4}


def test_labels_match_the_design_vocabulary_when_it_is_present():
    design = Path(__file__).resolve().parents[2] / "shared" / "design" / "labels.md"
    if not design.exists():
        return
    named = set(re.findall(r"^\| `([a-z_]+)` \|", design.read_text(), re.MULTILINE))
    assert named == set(LABELS)
