"""The exercise library: the schema of an exercise and loading it from TOML files.

Each file in ``exercises/`` holds one themed set as an array of ``[[exercise]]``
tables. Loading validates every field and names the file and field at fault.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

THEMES = (
    "work", "family", "health", "money", "friendship", "grief", "parenting",
    "loneliness", "school", "partner", "good_news", "everyday",
)
DIFFICULTIES = ("easy", "medium", "hard")
RELATIONSHIPS = ("partner", "friend", "parent", "child", "sibling", "colleague", "relative", "roommate")
MAX_DISCLOSURE_CHARS = 2000
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "exercises"


class ExerciseError(ValueError):
    """An exercise file that does not follow the schema; the message names file and field."""


@dataclass(frozen=True)
class Exercise:
    """A partner's disclosure to practise on, with what it asks of the listener."""

    id: str
    title: str
    theme: str
    difficulty: str
    relationship: str
    disclosure: str
    asks_advice: bool
    implicates_listener: bool
    examples: tuple[str, ...]


# field name -> (type, required)
_FIELDS: dict[str, type] = {
    "id": str,
    "title": str,
    "theme": str,
    "difficulty": str,
    "relationship": str,
    "disclosure": str,
    "asks_advice": bool,
    "implicates_listener": bool,
    "examples": list,
}


def _check(table: dict, where: str) -> Exercise:
    for name, kind in _FIELDS.items():
        if name not in table:
            raise ExerciseError(f"{where}: missing field '{name}'.")
        if not isinstance(table[name], kind):
            raise ExerciseError(
                f"{where}: field '{name}' should be {kind.__name__}, not {type(table[name]).__name__}."
            )
    extra = sorted(set(table) - set(_FIELDS))
    if extra:
        raise ExerciseError(f"{where}: unknown field '{extra[0]}'.")
    if not ID_PATTERN.match(table["id"]):
        raise ExerciseError(f"{where}: field 'id' must be lowercase words joined by '-', got {table['id']!r}.")
    for name, allowed in (("theme", THEMES), ("difficulty", DIFFICULTIES), ("relationship", RELATIONSHIPS)):
        if table[name] not in allowed:
            raise ExerciseError(f"{where}: field '{name}' must be one of {', '.join(allowed)}; got {table[name]!r}.")
    for name in ("title", "disclosure"):
        if not table[name].strip():
            raise ExerciseError(f"{where}: field '{name}' is empty.")
    if len(table["disclosure"]) > MAX_DISCLOSURE_CHARS:
        raise ExerciseError(f"{where}: field 'disclosure' is over {MAX_DISCLOSURE_CHARS} characters.")
    examples = table["examples"]
    if not 2 <= len(examples) <= 3 or not all(isinstance(e, str) and e.strip() for e in examples):
        raise ExerciseError(f"{where}: field 'examples' must hold two or three non-empty replies.")
    return Exercise(
        id=table["id"],
        title=table["title"].strip(),
        theme=table["theme"],
        difficulty=table["difficulty"],
        relationship=table["relationship"],
        disclosure=" ".join(table["disclosure"].split()),
        asks_advice=table["asks_advice"],
        implicates_listener=table["implicates_listener"],
        examples=tuple(" ".join(e.split()) for e in examples),
    )


def load_file(path: Path) -> list[Exercise]:
    """Read and validate one exercise file."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ExerciseError(f"{path.name}: the file is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as err:
        raise ExerciseError(f"{path.name}: not valid TOML ({err}).") from None
    tables = document.get("exercise")
    if not isinstance(tables, list) or not tables:
        raise ExerciseError(f"{path.name}: no [[exercise]] tables found.")
    return [_check(t, f"{path.name}, exercise {i + 1}" + (f" ({t['id']})" if isinstance(t.get("id"), str) else ""))
            for i, t in enumerate(tables)]


def load_library(directory: Path | str = DEFAULT_DIR) -> dict[str, Exercise]:
    """Load every ``*.toml`` file in a directory into a dict keyed by exercise id."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ExerciseError(f"{directory}: no such exercise directory.")
    library: dict[str, Exercise] = {}
    for path in sorted(directory.glob("*.toml")):
        for exercise in load_file(path):
            if exercise.id in library:
                raise ExerciseError(f"{path.name}: field 'id' repeats {exercise.id!r}, already used elsewhere.")
            library[exercise.id] = exercise
    return library
