"""The app's event handlers as plain functions: component values in, output values out.

``Handlers`` holds what the handlers share (the coach, the exercise library, the store); everything that
belongs to one learner comes in as an argument (the practice session kept in gr.State, the learner id kept
in the browser) and goes back out as a return value. Tests call these methods directly, no server needed.
Each ``*View`` named tuple lists the outputs in the order the page wires them.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime
from typing import Any, Callable, NamedTuple

import gradio as gr
import pandas as pd

from listening.errors import InputError
from listening.exercises import DIFFICULTIES, THEMES, Exercise, load_library
from listening.labels import BARRIERS, BY_NAME, LABELS, PRACTICES, SKILLS
from listening.store import Attempt, Store, StoreError, valid_learner_id
from listening.ui import render
from listening.ui.downloads import Downloads

ANY = "any"
RECENT = 10  # "practices to work on" looks at this many latest attempts
OWN_TITLE = "Your own conversation"


def new_session() -> dict:
    """The per-learner practice state kept in gr.State (plain data, so Gradio can copy it)."""
    return {"exercise_id": None, "title": "", "relationship": "", "theme": "", "difficulty": "",
            "disclosure": "", "examples": [], "attempts": 0, "last": None}


def session_for(exercise: Exercise) -> dict:
    return {**new_session(), "exercise_id": exercise.id, "title": exercise.title,
            "relationship": exercise.relationship, "theme": exercise.theme,
            "difficulty": exercise.difficulty, "disclosure": exercise.disclosure,
            "examples": list(exercise.examples)}


def pretty(word: str) -> str:
    return word.replace("_", " ").capitalize()


def exercise_label(exercise: Exercise) -> str:
    return f"{exercise.title} ({exercise.relationship}, {exercise.difficulty})"


class ChooseView(NamedTuple):
    exercise: Any       # the exercise dropdown
    partner: Any        # the partner's message (HTML)
    session: Any        # gr.State
    reply: Any          # the reply box
    message: Any        # one sentence for the learner (HTML)
    panel: Any          # the feedback panel (visibility)
    examples_button: Any
    examples: Any       # example replies (HTML)


class ReviewView(NamedTuple):
    message: Any
    panel: Any
    score: Any
    changes: Any
    highlight: Any      # gr.HighlightedText value (+ colours)
    skills: Any
    flags: Any
    examples_button: Any
    examples: Any
    session: Any
    data: Any           # the feedback as JSON, for API clients
    learner: Any        # this browser's learner id (made here if the page had none yet)


class HistoryView(NamedTuple):
    overview: Any
    needs: Any
    charts: Any         # the column holding the charts (shown from the second attempt)
    score_plot: Any
    barrier_plot: Any
    skill_plot: Any
    table: Any
    message: Any


class Handlers:
    """Event handlers bound to the shared, read-only parts of the app."""

    def __init__(self, coach: Any = None, store: Store | None = None,
                 library: dict[str, Exercise] | None = None, rng: random.Random | None = None):
        # coach: a Coach, a zero-argument function returning one, or None for the process-wide one.
        self._coach = coach
        self.store = store
        self.library = library if library is not None else load_library()
        self.rng = rng or random.Random()
        self._exports = Downloads("listening-export-")

    @property
    def coach(self):
        if self._coach is None:
            from listening.ui.engine import shared_coach

            self._coach = shared_coach()
        elif not hasattr(self._coach, "feedback") and callable(self._coach):
            self._coach = self._coach()
        return self._coach

    # --- choosing what to practise on ---------------------------------------------------------------

    def theme_choices(self) -> list[tuple[str, str]]:
        present = {e.theme for e in self.library.values()}
        return [("Any theme", ANY)] + [(pretty(t), t) for t in THEMES if t in present]

    def difficulty_choices(self) -> list[tuple[str, str]]:
        return [("Any", ANY)] + [(pretty(d), d) for d in DIFFICULTIES]

    def matching(self, theme: str | None, difficulty: str | None) -> list[Exercise]:
        return [
            e for e in self.library.values()
            if (not theme or theme == ANY or e.theme == theme)
            and (not difficulty or difficulty == ANY or e.difficulty == difficulty)
        ]

    def exercise_choices(self, theme: str | None = ANY, difficulty: str | None = ANY) -> list[tuple[str, str]]:
        order = {d: i for i, d in enumerate(DIFFICULTIES)}
        found = sorted(self.matching(theme, difficulty), key=lambda e: (order[e.difficulty], e.theme, e.title))
        return [(exercise_label(e), e.id) for e in found]

    def first_exercise(self) -> Exercise:
        return self.library[self.exercise_choices()[0][1]]

    def _show(self, session: dict, exercise_value: Any, message: str = "") -> ChooseView:
        """A new disclosure on screen: fresh reply box, feedback and examples hidden."""
        return ChooseView(
            exercise=exercise_value,
            partner=render.partner_html(session["disclosure"], session["title"], session["relationship"],
                                        session["theme"], session["difficulty"]),
            session=session,
            reply="",
            message=render.message_html(message, "info"),
            panel=gr.update(visible=False),
            examples_button=gr.update(visible=False),
            examples=gr.update(value="", visible=False),
        )

    def _refuse(self, message: str) -> ChooseView:
        skip = gr.skip()
        return ChooseView(skip, skip, skip, skip, render.message_html(message), skip, skip, skip)

    def choose_exercise(self, exercise_id: str | None, session: dict | None = None) -> ChooseView:
        """Put a library exercise on screen."""
        exercise = self.library.get(exercise_id or "")
        if exercise is None:
            return self._refuse("Choose a conversation from the list.")
        return self._show(session_for(exercise), gr.update(value=exercise.id))

    def random_exercise(self, theme: str | None = ANY, difficulty: str | None = ANY,
                        session: dict | None = None) -> ChooseView:
        """A random exercise among those matching the filters, not the one already on screen."""
        pool = self.matching(theme, difficulty)
        if not pool:
            return self._refuse("No conversation matches that theme and difficulty; try 'Any'.")
        current = (session or {}).get("exercise_id")
        others = [e for e in pool if e.id != current] or pool
        exercise = self.rng.choice(others)
        return self._show(session_for(exercise), gr.update(value=exercise.id))

    def filter_exercises(self, theme: str | None, difficulty: str | None, session: dict | None = None) -> ChooseView:
        """New filters: the list shrinks to matching exercises; a non-matching one on screen is replaced."""
        choices = self.exercise_choices(theme, difficulty)
        if not choices:
            skip = gr.skip()
            return ChooseView(
                gr.update(choices=[], value=None), skip, skip, skip,
                render.message_html("No conversation matches that theme and difficulty; try 'Any'.", "info"),
                skip, skip, skip,
            )
        current = (session or {}).get("exercise_id")
        if current in {value for _, value in choices}:
            skip = gr.skip()
            return ChooseView(gr.update(choices=choices, value=current), skip, skip, skip, "", skip, skip, skip)
        exercise = self.library[choices[0][1]]
        return self._show(session_for(exercise), gr.update(choices=choices, value=exercise.id))

    def use_own_disclosure(self, text: str | None, session: dict | None = None) -> ChooseView:
        """Practise on the learner's own conversation: the words they expect to hear."""
        from listening.errors import MAX_DISCLOSURE_CHARS, check_text

        try:
            disclosure = check_text(text if text is not None else "", "disclosure", MAX_DISCLOSURE_CHARS)
        except InputError as err:
            return self._refuse(str(err))
        session = {**new_session(), "title": OWN_TITLE, "disclosure": disclosure.strip()}
        return self._show(session, gr.update(value=None))

    # --- feedback ------------------------------------------------------------------------------------

    def review(self, reply: str | None, session: dict | None, learner: str | None = None,
               save: bool = True) -> ReviewView:
        """Feedback on the learner's reply, compared with their last try on the same disclosure."""
        session = dict(session or new_session())
        skip = gr.skip()
        if not session.get("disclosure"):
            return self._review_error("Choose a conversation first, then write your reply.", session)
        try:
            feedback = self.coach.feedback(session["disclosure"], reply if reply is not None else "")
        except InputError as err:
            return self._review_error(str(err), session)

        changes = render.compare(session["last"], feedback) if session.get("last") else None
        saved = False
        if not valid_learner_id(learner):
            learner = str(uuid.uuid4())
        if self.store is not None and save:
            self.store.record(learner, feedback, exercise_id=session.get("exercise_id"))
            saved = True
        session["attempts"] = int(session.get("attempts", 0)) + 1
        session["last"] = render.attempt_summary(feedback)

        marks = render.marks_of(feedback)
        pieces = render.segments(feedback.reply, marks)
        has_examples = bool(session.get("examples"))
        data = {"attempt": session["attempts"], "saved": saved, "feedback": feedback.to_dict(),
                "changes": changes.to_dict() if changes else None}
        return ReviewView(
            message="",
            panel=gr.update(visible=True),
            score=render.score_html(feedback, session["attempts"], saved if self.store is not None else None),
            changes=gr.update(value=render.changes_html(changes), visible=changes is not None),
            highlight=gr.update(value=pieces, color_map=render.colour_map(marks, pieces)),
            skills=render.skills_html(feedback),
            flags=render.flags_html(feedback),
            examples_button=gr.update(visible=has_examples),
            examples=skip,
            session=session,
            data=data,
            learner=learner,
        )

    def _review_error(self, message: str, session: dict) -> ReviewView:
        skip = gr.skip()
        return ReviewView(render.message_html(message), gr.update(visible=False), skip, skip, skip, skip, skip,
                          skip, skip, session, {"error": message}, skip)

    def reveal_examples(self, session: dict | None) -> tuple[Any, Any]:
        """The exercise's example replies, once the learner has tried at least once."""
        session = session or new_session()
        if not session.get("attempts"):
            return gr.update(value="", visible=False), render.message_html(
                "Write your own reply first; the examples open after your first attempt.", "info")
        if not session.get("examples"):
            html = render.examples_html([], "Your own conversations have no example replies.")
        else:
            html = render.examples_html(session["examples"])
        return gr.update(value=html, visible=True), ""

    # --- learners and history ------------------------------------------------------------------------

    def storage_note(self, save: bool) -> str:
        if self.store is None:
            return render.message_html(
                "History is turned off on this server: attempts are not kept after you close the page.", "info")
        if not save:
            return render.message_html("Saving is off: new attempts are not added to your history.", "info")
        return render.message_html(
            "Your attempts are saved under a private id kept in this browser. Only this browser can open them.",
            "info")

    def start(self, learner: str | None, save: bool | None = True) -> tuple[str, bool, str]:
        """On page load: make sure this browser has a learner id, and restore the saving setting."""
        if not valid_learner_id(learner):
            learner = str(uuid.uuid4())
        save = True if save is None else bool(save)
        return learner, save, self.storage_note(save)

    def set_saving(self, save: bool) -> tuple[bool, str]:
        return bool(save), self.storage_note(bool(save))

    def _attempts(self, learner: str | None) -> list[Attempt]:
        if self.store is None or not valid_learner_id(learner):
            return []
        return self.store.attempts(learner)  # type: ignore[arg-type]

    def conversation_name(self, attempt: Attempt) -> str:
        exercise = self.library.get(attempt.exercise_id or "")
        if exercise is not None:
            return exercise.title
        first = " ".join(attempt.disclosure.split())
        return f"Your own: {first[:40]}{'…' if len(first) > 40 else ''}"

    def history(self, learner: str | None, save: bool = True) -> HistoryView:
        """Attempts, trends per label, and which practices need work, for this learner only."""
        attempts = self._attempts(learner)
        return HistoryView(
            overview=overview_html(attempts, self.store is not None),
            needs=render.needs_work_html(practices_needing_work(attempts), RECENT),
            charts=gr.update(visible=len(attempts) >= 2),
            score_plot=score_frame(attempts),
            barrier_plot=trend_frame(attempts, BARRIERS),
            skill_plot=trend_frame(attempts, SKILLS),
            table=attempts_table(attempts, self.conversation_name),
            message=self.storage_note(save),
        )

    def export_history(self, learner: str | None) -> tuple[Any, str]:
        """Write this learner's history to a CSV file and offer it for download."""
        if self.store is None:
            return gr.update(value=None, visible=False), render.message_html(
                "History is turned off on this server, so there is nothing to export.", "info")
        try:
            text = self.store.export_csv(learner)  # type: ignore[arg-type]
        except StoreError as err:
            return gr.update(value=None, visible=False), render.message_html(str(err))
        # Learners' data: not left lying around once the download has had time to happen.
        path = self._exports.folder() / f"listening-history-{datetime.now():%Y-%m-%d}.csv"
        path.write_text(text, encoding="utf-8")
        rows = text.count("\n") - 1
        note = f"Your history ({rows} attempt{'s' if rows != 1 else ''}) is ready to download."
        return gr.update(value=str(path), visible=True), render.message_html(note, "info")

    def delete_history(self, learner: str | None, save: bool = True) -> tuple[Any, ...]:
        """Delete every attempt stored for this learner; returns the emptied history view and a note."""
        if self.store is None:
            note = "History is turned off on this server, so nothing is stored."
        elif not valid_learner_id(learner):
            note = "There is no history for this browser yet."
        else:
            count = self.store.delete(learner)  # type: ignore[arg-type]
            note = f"Deleted {count} attempt{'s' if count != 1 else ''}. Your history is empty."
        view = self.history(learner, save)
        return (*view[:-1], render.message_html(note, "info"), gr.update(visible=False),
                gr.update(value=None, visible=False))

# --- history as data ---------------------------------------------------------------------------------


def practices_needing_work(attempts: list[Attempt], recent: int = RECENT) -> list[dict]:
    """Practices whose barriers came up in the latest attempts, most frequent first."""
    window = attempts[-recent:]
    counts: Counter[int] = Counter()
    labels: dict[int, Counter[str]] = {}
    for attempt in window:
        touched = set()
        for label in attempt.flags:
            for number in BY_NAME[label].practices:
                labels.setdefault(number, Counter())[label] += 1
                touched.add(number)
        counts.update(touched)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    return [
        {"practice": n, "title": PRACTICES[n].title, "count": counts[n], "attempts": len(window),
         "labels": dict(labels[n].most_common())}
        for n in ranked
    ]


def attempt_keys(count: int) -> list[str]:
    """Attempt numbers as zero-padded text, so the charts' x axis shows whole attempts in order."""
    width = max(2, len(str(count)))
    return [str(i).zfill(width) for i in range(1, count + 1)]


def score_frame(attempts: list[Attempt]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"attempt": attempt_keys(len(attempts)), "listening score": [a.listening_score for a in attempts]},
        columns=["attempt", "listening score"],
    )
    # Typed even when empty, so the chart's axes have the right kind from the start.
    return frame.astype({"attempt": "str", "listening score": "int64"})


def trend_frame(attempts: list[Attempt], labels: tuple[str, ...]) -> pd.DataFrame:
    """One row per attempt and label: how strongly the coach heard that label (0 to 1)."""
    keys = attempt_keys(len(attempts))
    rows = [
        {"attempt": key, "label": BY_NAME[label].title, "score": round(a.scores.get(label, 0.0), 3)}
        for key, a in zip(keys, attempts, strict=True) for label in labels
    ]
    frame = pd.DataFrame(rows, columns=["attempt", "label", "score"])
    return frame.astype({"attempt": "str", "label": "str", "score": "float64"})


def label_trends(attempts: list[Attempt]) -> list[dict]:
    """In words, for each label seen: how often in the earlier half of the attempts and in the later half."""
    if len(attempts) < 2:
        return []
    half = len(attempts) // 2
    early, late = attempts[:half], attempts[half:]
    out = []
    for label in LABELS:
        before = sum(label in a.labels for a in early)
        after = sum(label in a.labels for a in late)
        if before or after:
            better = (after / len(late) < before / len(early)) == (label in BARRIERS)
            same = after / len(late) == before / len(early)
            out.append({"label": label, "early": before, "early_of": len(early), "late": after,
                        "late_of": len(late), "direction": "same" if same else ("better" if better else "worse")})
    return out


ATTEMPT_COLUMNS = ["#", "When (UTC)", "Conversation", "Your reply", "Score", "Got in the way", "Helped"]


def attempts_table(attempts: list[Attempt], name: Callable[[Attempt], str]) -> pd.DataFrame:
    """Newest first; replies cut to a readable length (the CSV export has them in full)."""
    rows = []
    for i, a in reversed(list(enumerate(attempts, start=1))):
        reply = " ".join(a.reply.split())
        rows.append([
            i, a.created_at.replace("T", " ")[:16], name(a), reply[:140] + ("…" if len(reply) > 140 else ""),
            a.listening_score, ", ".join(BY_NAME[x].title for x in a.flags) or "none",
            ", ".join(BY_NAME[x].title for x in a.skills) or "none",
        ])
    return pd.DataFrame(rows, columns=ATTEMPT_COLUMNS)


def overview_html(attempts: list[Attempt], storing: bool) -> str:
    if not storing:
        return ('<section class="overview"><p class="quiet">This server keeps no history. '
                "Start it without <code>--no-store</code> to track your progress.</p></section>")
    if not attempts:
        return ('<section class="overview"><p class="quiet">No attempts yet. Your replies show up here '
                "once you have had feedback on one.</p></section>")
    n = len(attempts)
    scores = [a.listening_score for a in attempts]
    trend = " The charts of your progress appear from your second attempt."
    if n >= 2:
        k = min(5, n // 2)
        first, last = sum(scores[:k]) / k, sum(scores[-k:]) / k
        which = "attempt" if k == 1 else f"{k} attempts"
        trend = (f" Listening score: your first {which} averaged <strong>{first:.0f}</strong>, "
                 f"your latest {which} <strong>{last:.0f}</strong>.")
    found = Counter(label for a in attempts for label in a.labels)
    best = [BY_NAME[s].title for s in SKILLS if found[s]]
    skill_line = f" Skills you have used: {render.esc(', '.join(best))}." if best else ""
    items = []
    for t in label_trends(attempts):
        word = {"better": "improving", "worse": "needs attention", "same": "steady"}[t["direction"]]
        items.append(
            f"<li><strong>{render.esc(BY_NAME[t['label']].title)}</strong>: in {t['early']} of your earlier "
            f"{t['early_of']} and {t['late']} of your later {t['late_of']} attempts ({word})</li>")
    trends = (f'<h3 id="trends-h">Each label over time</h3><ul aria-labelledby="trends-h">{"".join(items)}</ul>'
              if items else "")
    return (f'<section class="overview"><p><strong>{n}</strong> attempt{"s" if n != 1 else ""} so far.{trend}'
            f"{skill_line}</p>{trends}</section>")


__all__ = [
    "ANY", "ChooseView", "Handlers", "HistoryView", "ReviewView", "attempts_table", "new_session",
    "label_trends", "practices_needing_work", "score_frame", "session_for", "trend_frame",
]
