from pathlib import Path

import pytest

from listening.exercises import THEMES, ExerciseError, load_file, load_library

GOOD = '''
[[exercise]]
id = "work-test"
title = "A test"
theme = "work"
difficulty = "easy"
relationship = "friend"
asks_advice = false
implicates_listener = false
disclosure = """I had a rough day."""
examples = ["That sounds rough. What happened?", "Oof, a long one. Want to tell me about it?"]
'''


def test_the_bundled_library_is_big_and_varied(library):
    assert len(library) >= 60
    assert sum(e.implicates_listener for e in library.values()) >= 20
    assert sum(e.asks_advice for e in library.values()) >= 6
    themes = {e.theme for e in library.values()}
    for theme in ("work", "family", "health", "money", "friendship", "grief", "parenting", "loneliness", "school"):
        assert theme in themes
    assert themes <= set(THEMES)
    assert all(2 <= len(e.examples) <= 3 for e in library.values())


def test_a_good_file_loads(tmp_path: Path):
    path = tmp_path / "set.toml"
    path.write_text(GOOD)
    (exercise,) = load_file(path)
    assert exercise.id == "work-test" and exercise.disclosure == "I had a rough day."


@pytest.mark.parametrize("change, words", [
    (('difficulty = "easy"', ""), ["set.toml", "difficulty", "missing"]),
    (("asks_advice = false", 'asks_advice = "no"'), ["set.toml", "asks_advice", "bool"]),
    (('theme = "work"', 'theme = "space"'), ["set.toml", "theme", "space"]),
    (('id = "work-test"', 'id = "Work Test"'), ["set.toml", "'id'"]),
    (("examples = [", 'colour = "red"\nexamples = ['), ["set.toml", "colour"]),
    (('disclosure = """I had a rough day."""', 'disclosure = """   """'), ["set.toml", "disclosure", "empty"]),
    (('id = "work-test"', 'id = "work-test'), ["set.toml", "TOML"]),
])
def test_a_broken_file_names_the_file_and_field(tmp_path: Path, change, words):
    path = tmp_path / "set.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ExerciseError) as caught:
        load_file(path)
    for word in words:
        assert word in str(caught.value)


def test_a_repeated_id_across_files_is_refused(tmp_path: Path):
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD)
    with pytest.raises(ExerciseError, match="b.toml.*work-test"):
        load_library(tmp_path)
