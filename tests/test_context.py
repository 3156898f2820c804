"""The labelled disclosures the context head learns from: every file is read, bad rows are named."""

import json

import pytest

from listening.context import CONTEXT_DIR, load_disclosures


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_every_file_in_the_folder_is_read(tmp_path):
    write(tmp_path / "a.jsonl", [{"disclosure": "You forgot again.", "implicates_listener": True, "asks_advice": False}])
    write(tmp_path / "b.jsonl", [{"disclosure": "Suit or jeans?", "implicates_listener": False, "asks_advice": True},
                                 {"disclosure": "Long day.", "implicates_listener": False, "asks_advice": False}])
    rows = load_disclosures(tmp_path)
    assert [text for text, _ in rows] == ["You forgot again.", "Suit or jeans?", "Long day."]
    assert rows[1][1].tolist() == [0.0, 1.0]


def test_a_bad_row_names_its_file_and_line(tmp_path):
    write(tmp_path / "good.jsonl", [{"disclosure": "Long day.", "implicates_listener": False, "asks_advice": False}])
    write(tmp_path / "bad.jsonl", [{"disclosure": "Long day.", "implicates_listener": False, "asks_advice": False},
                                   {"disclosure": "Help?", "implicates_listener": "no", "asks_advice": True}])
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        load_disclosures(tmp_path)


def test_the_shipped_disclosures_cover_every_combination():
    rows = load_disclosures(CONTEXT_DIR)
    combinations = {tuple(flags.tolist()) for _, flags in rows}
    assert combinations == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    assert len({text for text, _ in rows}) == len(rows)  # no disclosure twice
