"""The coach: parse, encode, score, decide and explain, for one reply or many.

    >>> from listening import Coach
    >>> coach = Coach.load()
    >>> feedback = coach.feedback("I'm so stressed about work.", "You should just quit.")
    >>> feedback.labels
    ['premature_advice']
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from listening import explain
from listening.errors import MAX_DISCLOSURE_CHARS, MAX_REPLY_CHARS, check_text
from listening.feedback import Evidence, Feedback, Flag, Skill
from listening.labels import BARRIERS, BY_NAME, LABELS, PRACTICES
from listening.model import MODEL_DIR, ListeningModel


def choose_segments(scores: np.ndarray, threshold: float) -> list[int]:
    """Segments that carry a label: all that pass the threshold, else the strongest one."""
    if len(scores) == 0:
        return []
    chosen = [int(i) for i in np.where(scores >= threshold)[0]]
    return chosen or [int(np.argmax(scores))]


def evidence(reply: str, segments, chosen: list[int]) -> list[Evidence]:
    """Spans of the chosen segments; neighbouring segments (two clauses of one move) become one span."""
    runs: list[list[int]] = []
    for i in sorted(chosen):
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    spans = []
    for run in runs:
        start, _ = explain.tidy(reply, segments[run[0]].start, segments[run[0]].end)
        _, end = explain.tidy(reply, segments[run[-1]].start, segments[run[-1]].end)
        spans.append(Evidence(start, end, reply[start:end]))
    return spans


class Coach:
    """Reads a reply to a disclosure and says what helps and what gets in the way."""

    def __init__(self, model: ListeningModel, featurizer):
        self.model = model
        self.featurizer = featurizer
        # One batch at a time: the app shares one coach between threads (a learner's review, a batch upload),
        # and the parser and the disclosure cache are not made for concurrent use.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model_dir: Path | str = MODEL_DIR, precision: str | None = None,
             exercises: Iterable | None = None) -> "Coach":
        """Load the trained model, the spaCy pipeline and the encoder (a few seconds, once).

        ``exercises`` (by default the bundled library) are disclosures whose context is known:
        for them the flags their author wrote are used instead of the model's reading.
        """
        from listening.encoder import Encoder
        from listening.exercises import load_library
        from listening.features import Featurizer
        from listening.parse import Parser

        model = ListeningModel.load(Path(model_dir))
        encoder = Encoder(precision, adapter=model.adapter, rank=model.rank, alpha=model.alpha)
        coach = cls(model, Featurizer(Parser(), encoder, model.context_head))
        coach.know(load_library().values() if exercises is None else exercises)
        return coach

    def know(self, exercises: Iterable) -> None:
        """Take the written context (listener implicated, advice asked for) of these exercises as given."""
        from listening.context import authored_context

        with self._lock:
            self.featurizer.know(authored_context(exercises))

    def feedback(self, disclosure: str, reply: str) -> Feedback:
        """Feedback on one reply. Raises InputError with a clear sentence for unusable text."""
        return self.feedback_many([(disclosure, reply)])[0]

    def feedback_many(self, pairs: Iterable[tuple[str, str]], batch_size: int = 128) -> list[Feedback]:
        """Feedback on many (disclosure, reply) pairs, batched; same answers as one at a time."""
        pairs = [(check_text(d, "disclosure", MAX_DISCLOSURE_CHARS), check_text(r, "reply", MAX_REPLY_CHARS))
                 for d, r in pairs]
        out: list[Feedback] = []
        for lo in range(0, len(pairs), batch_size):
            with self._lock:
                out.extend(self._score(pairs[lo:lo + batch_size]))
        return out

    def _score(self, pairs: Sequence[tuple[str, str]]) -> list[Feedback]:
        featured = self.featurizer([d for d, _ in pairs], [r for _, r in pairs])
        reply_scores, segment_scores = self.model.predict(featured.reply, featured.segment, featured.owner,
                                                          featured.context)
        results = []
        for index, (disclosure, reply) in enumerate(pairs):
            rows = np.where(featured.owner == index)[0]
            results.append(self._explain(disclosure, reply, reply_scores[index], segment_scores[rows],
                                         featured.segments[index]))
        return results

    def _explain(self, disclosure: str, reply: str, scores: np.ndarray, segment_scores: np.ndarray,
                 segments) -> Feedback:
        flags, skills = [], []
        for j, label in enumerate(LABELS):
            score = float(scores[j])
            if score < self.model.thresholds[j]:
                continue
            spans = tuple(evidence(reply, segments, choose_segments(segment_scores[:, j],
                                                                    self.model.segment_threshold)))
            practices = tuple(PRACTICES[n] for n in BY_NAME[label].practices)
            if label in BARRIERS:
                words = spans[0].text if spans else reply
                flags.append(Flag(label, score, spans, practices, explain.why(label),
                                  explain.alternative(label, words, disclosure)))
            else:
                skills.append(Skill(label, score, spans, practices, explain.skill_note(label)))
        flags.sort(key=lambda f: -f.score)
        return Feedback(
            disclosure=disclosure,
            reply=reply,
            scores={label: float(s) for label, s in zip(LABELS, scores)},
            flags=tuple(flags),
            skills=tuple(skills),
            summary=explain.summary([f.label for f in flags], [s.label for s in skills]),
        )
