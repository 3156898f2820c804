"""Turn (disclosure, reply) pairs into the arrays the trained model reads.

Per reply: its embedding, the disclosure's embedding, their product, the
reply's cues (max and mean over segments) and the disclosure's cues.
Per segment: its embedding in the reply's context, the reply and disclosure
embeddings, its cues and its position. Disclosures repeat (an exercise, a
room), so their parse and embedding are cached.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from listening.context import CONTEXT, context_scores, disclosure_key
from listening.encoder import DIM, Encoder
from listening.parse import DISCLOSURE_CUES, SEGMENT_CUES, Parser, Segment

N_SEG = len(SEGMENT_CUES)
N_DIS = len(DISCLOSURE_CUES)
N_CONTEXT = len(CONTEXT)


def _cat(parts):
    if any(isinstance(p, torch.Tensor) for p in parts):
        return torch.cat([p if isinstance(p, torch.Tensor) else torch.as_tensor(np.asarray(p, np.float32))
                          for p in parts], dim=-1)
    return np.concatenate([np.asarray(p, np.float32) for p in parts], axis=-1)


def reply_vector(reply, disclosure, cue_max, cue_mean, disclosure_cues, n_segments):
    """The reply head's input: the one definition, for numpy rows and torch batches alike."""
    return _cat([reply, disclosure, reply * disclosure, cue_max, cue_mean, disclosure_cues, n_segments])


def segment_vector(segment, reply, disclosure, cues, disclosure_cues, place):
    """The segment head's input."""
    return _cat([segment, reply, disclosure, segment * disclosure, cues, disclosure_cues, place])


def segment_place(position: int, count: int) -> list[float]:
    return [float(position == 0), float(position == count - 1), position / max(count - 1, 1)]


@dataclass(frozen=True)
class Featured:
    """Model inputs for a batch of pairs."""

    reply: np.ndarray  # (n_pairs, reply width): see reply_vector
    segment: np.ndarray  # (n_segments, segment width): see segment_vector
    owner: np.ndarray  # (n_segments,) index of the pair each segment belongs to
    context: np.ndarray  # (n_pairs, 2): P(listener implicated), P(advice asked for)
    segments: list[list[Segment]]  # per pair


class Featurizer:
    """Parser + encoder, with a cache of disclosures."""

    def __init__(self, parser: Parser, encoder: Encoder, context_head=None, cache_size: int = 512):
        self.parser = parser
        self.encoder = encoder
        self.context_head = context_head
        self.cache_size = cache_size
        self._disclosures: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.authored: dict[str, np.ndarray] = {}  # disclosure key -> flags written with an exercise

    def know(self, authored: dict[str, np.ndarray]) -> None:
        """Use these written flags instead of the context head's reading for these disclosures."""
        self.authored.update(authored)
        for text in [t for t in self._disclosures if disclosure_key(t) in authored]:
            del self._disclosures[text]

    def disclosure(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._disclosures]
        if missing:
            docs = self.parser.docs(missing)
            vectors = self.encoder.embed(missing, adapter=False)
            cues = np.stack([self.parser.disclosure_cues(doc) for doc in docs])
            if self.context_head is not None:  # what the disclosure asks of the listener
                read = context_scores(self.context_head, vectors, cues)
                for row, text in enumerate(missing):
                    written = self.authored.get(disclosure_key(text))
                    if written is not None:
                        read[row] = written
                cues = np.concatenate([cues, read], axis=1)
            for text, vector, cue in zip(missing, vectors, cues):
                self._disclosures[text] = (vector, cue.astype(np.float32))
        out = []
        for text in texts:
            self._disclosures.move_to_end(text)
            out.append(self._disclosures[text])
        while len(self._disclosures) > self.cache_size:
            self._disclosures.popitem(last=False)
        return out

    def forget_disclosures(self) -> None:
        """Empty the disclosure cache (the benchmark's naive baseline re-encodes every time)."""
        self._disclosures.clear()

    def __call__(self, disclosures: Sequence[str], replies: Sequence[str]) -> Featured:
        docs = self.parser.docs(replies)
        segments = [self.parser.segments(doc) for doc in docs]
        cues = [self.parser.segment_cues(doc, segs) for doc, segs in zip(docs, segments)]
        encoded = self.encoder.encode(replies, [[(s.start, s.end) for s in segs] for segs in segments])
        context = self.disclosure(disclosures)

        reply_rows, segment_rows, owner = [], [], []
        n_context = N_CONTEXT if self.context_head is not None else 0
        context_rows = [d_cues[len(d_cues) - n_context:] if n_context else np.ones(N_CONTEXT, np.float32)
                        for _, d_cues in context]
        for index, (enc, segs, seg_cues, (d_vec, d_cues)) in enumerate(zip(encoded, segments, cues, context)):
            if len(segs):
                cue_max, cue_mean = seg_cues.max(0), seg_cues.mean(0)
            else:
                cue_max = cue_mean = np.zeros(N_SEG, np.float32)
            reply_rows.append(reply_vector(enc.text, d_vec, cue_max, cue_mean, d_cues, [np.log1p(len(segs))]))
            for position, (s_vec, s_cues) in enumerate(zip(enc.spans, seg_cues)):
                segment_rows.append(segment_vector(s_vec, enc.text, d_vec, s_cues, d_cues,
                                                   segment_place(position, len(segs))))
                owner.append(index)
        n_dis = N_DIS + (N_CONTEXT if self.context_head is not None else 0)
        return Featured(
            reply=np.asarray(reply_rows, np.float32).reshape(len(replies), 3 * DIM + 2 * N_SEG + n_dis + 1),
            segment=np.asarray(segment_rows, np.float32).reshape(len(segment_rows), 4 * DIM + N_SEG + n_dis + 3),
            owner=np.asarray(owner, np.int64),
            context=np.asarray(context_rows, np.float32).reshape(len(replies), N_CONTEXT),
            segments=segments,
        )
