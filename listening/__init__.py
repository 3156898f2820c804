"""listening: an active-listening coach.

    from listening import Coach
    coach = Coach.load()
    feedback = coach.feedback("I'm so stressed about work.", "Have you tried talking to your boss?")
    for flag in feedback.flags:
        print(flag.label, flag.score, [s.text for s in flag.spans], flag.alternative)

Heavy parts (spaCy, torch) load only when ``Coach`` is first used.
"""

from listening.errors import InputError, ListeningError
from listening.exercises import Exercise, ExerciseError, load_library
from listening.feedback import Evidence, Feedback, Flag, Skill
from listening.labels import BARRIERS, LABELS, PRACTICES, SKILLS, Practice

__all__ = [
    "BARRIERS", "Coach", "Evidence", "Exercise", "ExerciseError", "Feedback", "Flag", "InputError",
    "LABELS", "ListeningError", "PRACTICES", "Practice", "SKILLS", "Skill", "load_library",
]


def __getattr__(name: str):
    if name == "Coach":
        from listening.coach import Coach

        return Coach
    raise AttributeError(name)
