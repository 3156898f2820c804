"""Compare shapes of the context head (is the listener implicated? is advice asked for?).

The head trains in seconds, so shapes are compared by 5-fold cross-validation
over the labelled disclosures (exercise library plus ``models/context/``),
averaged over three seeds, and on the texting slice's disclosures (implicated
only: read from whether any reply there is labelled defensive). Held-out
exercises stay out of the training folds.

    python bench/context_heads.py            # all shapes
    python bench/context_heads.py flat mil   # some
    python bench/context_heads.py flat --leave-out hard_cases   # without models/context/hard_cases.jsonl

Shapes: ``flat`` (the shipped one: the disclosure's mean embedding and cues),
``clauses`` (adds the element-wise max over clause embeddings and clause cues),
``mil`` (scores every clause and keeps the strongest, multiple-instance style), ``adapter`` (the flat
head warm-started, then trained together with a low-rank adapter on the encoder, so the reader itself
learns which words name the listener; about six minutes a seed, so it runs only when named and with
one seed), ``tuned`` (the flat head, plus the disclosure's embedding through the shipped model's
fine-tuned reply adapter, which never saw a disclosure in training) and ``tuned-only`` (that embedding
in place of the base one); the two ``tuned`` shapes run only when named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from listening.context import CONTEXT_DIR, load_disclosure_file, train_context_head  # noqa: E402
from listening.corpus import load_corpus  # noqa: E402
from listening.encoder import DIM, WINDOW, Encoder, model_dir  # noqa: E402
from listening.exercises import load_library  # noqa: E402
from listening.lora import add_adapters  # noqa: E402
from listening.model import Head, ListeningModel, logits, sigmoid  # noqa: E402
from listening.parse import Parser  # noqa: E402
from listening.train import HELDOUT_DIR, held_out_split  # noqa: E402

SEEDS = (1, 2, 3)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def disclosures(leave_out: str | None = None):
    """(text, implicated, asks_advice or -1, source) for every labelled disclosure."""
    library = load_library()
    examples = load_corpus(None, library)
    _, test = held_out_split(examples, library)
    held = {examples[i].group for i in test}
    rows = [(e.disclosure, float(e.implicates_listener), float(e.asks_advice), "test" if g in held else "train")
            for g, e in library.items()]
    for path in sorted(CONTEXT_DIR.glob("*.jsonl")):
        if path.stem != leave_out:
            rows += [(text, float(flags[0]), float(flags[1]), "train") for text, flags in load_disclosure_file(path)]
    slice_groups: dict[str, list] = {}
    for e in load_corpus(sorted(HELDOUT_DIR.glob("*.jsonl")), library):
        entry = slice_groups.setdefault(e.group, [e.disclosure, 0.0])
        entry[1] = max(entry[1], float("defensiveness" in e.labels))
    rows += [(text, implicated, -1.0, "slice") for text, implicated in slice_groups.values()]
    return rows


def featurize(texts):
    parser, encoder = Parser(), Encoder()
    docs = parser.docs(texts)
    segments = [parser.segments(d) for d in docs]
    encoded = encoder.encode(texts, spans=[[(s.start, s.end) for s in ss] for ss in segments], adapter=False)
    cues = np.stack([parser.disclosure_cues(d) for d in docs])
    clause_cues = [parser.segment_cues(d, ss) for d, ss in zip(docs, segments)]
    return encoded, cues, clause_cues


def flat_inputs(encoded, cues, clause_cues, shape):
    out = []
    for e, c, cc in zip(encoded, cues, clause_cues):
        if shape == "flat":
            out.append(np.concatenate([e.text, c]))
            continue
        spans = e.spans if len(e.spans) else e.text[None]
        cc = cc if len(cc) else np.zeros((1, clause_cues[0].shape[1]), np.float32)
        out.append(np.concatenate([e.text, spans.max(0), c, cc.max(0)]))
    return np.stack(out).astype(np.float32)


def clause_inputs(encoded, cues, clause_cues):
    out = []
    for e, c, cc in zip(encoded, cues, clause_cues):
        spans = e.spans if len(e.spans) else e.text[None]
        cc = cc[:len(spans)] if len(cc) else np.zeros((len(spans), clause_cues[0].shape[1]), np.float32)
        k = len(spans)
        out.append(np.concatenate([spans, np.repeat(e.text[None], k, 0), cc, np.repeat(c[None], k, 0)], 1))
    return [x.astype(np.float32) for x in out]


def strongest(z, owner, n):
    return torch.full((n, z.shape[1]), -1e4).scatter_reduce(0, owner[:, None].expand(-1, z.shape[1]), z,
                                                           reduce="amax", include_self=True)


def fit_pooled(x, y, seed, owner, steps=400):
    """``train_context_head``'s recipe, with rows that are clauses, pooled (max) per disclosure."""
    torch.manual_seed(seed)
    head = Head(x.shape[1], hidden=64, dropout=0.3, outputs=2)
    head.fit_scaler(x)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    optimiser = torch.optim.AdamW(head.parameters(), lr=3e-3, weight_decay=0.05)
    head.train()
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(strongest(head(xs), owner, len(y)), ys)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return head.eval()


def fit_adapter(ids, x, y, seed, epochs=4, lr=1e-3, rank=8, batch=16):
    """The flat head on frozen features, then head and a fresh encoder adapter trained together."""
    head = train_context_head(x, y, seed)
    encoder = Encoder("fp32").model
    adapters = add_adapters(encoder, rank, 2.0 * rank)
    lora = [p for a in adapters for p in (a.lora_a, a.lora_b)]
    optimiser = torch.optim.AdamW([{"params": lora, "lr": lr}, {"params": head.parameters(), "lr": 1e-3}],
                                  weight_decay=0.05)
    cues, rng = torch.from_numpy(x[:, DIM:]), np.random.RandomState(seed)
    head.train()
    encoder.train()
    for _ in range(epochs):
        for order in np.array_split(rng.permutation(len(ids)), max(1, len(ids) // batch)):
            z = head(torch.cat([pooled(encoder, [ids[i] for i in order]), cues[order]], 1))
            loss = F.binary_cross_entropy_with_logits(z, torch.from_numpy(y[order]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return encoder.eval(), head.eval()


def pooled(encoder, ids):
    """Mean-pooled, normalised last hidden states, as ``Encoder.encode`` pools them."""
    width = max(len(i) for i in ids)
    tokens, mask = torch.zeros((len(ids), width), dtype=torch.long), torch.zeros((len(ids), width))
    for row, seq in enumerate(ids):
        tokens[row, :len(seq)], mask[row, :len(seq)] = torch.tensor(seq), 1
    hidden = encoder(input_ids=tokens, attention_mask=mask.long()).last_hidden_state
    return F.normalize((hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), dim=-1)


def tuned_vectors(texts):
    """The disclosures through the shipped model's fine-tuned reply adapter (it never saw a disclosure)."""
    model = ListeningModel.load()
    encoder = Encoder(adapter=model.adapter, rank=model.rank, alpha=model.alpha)
    return encoder.embed(list(texts), adapter=True)


def predictor(shape, features, texts):
    encoded, cues, clause_cues = features
    if shape == "adapter":
        x = flat_inputs(encoded, cues, clause_cues, "flat")
        ids = AutoTokenizer.from_pretrained(model_dir())(list(texts), truncation=True, max_length=WINDOW)["input_ids"]

        def run(train, test, y, seed):
            encoder, head = fit_adapter([ids[i] for i in train], x[train], y[train], seed)
            with torch.inference_mode():
                return torch.cat([torch.sigmoid(head(torch.cat([pooled(encoder, [ids[i] for i in chunk]),
                                                                torch.from_numpy(x[chunk, DIM:])], 1)))
                                  for chunk in np.array_split(test, max(1, len(test) // 32))]).numpy()
        return run
    if shape in ("tuned", "tuned-only"):
        x = np.concatenate([flat_inputs(encoded, cues, clause_cues, "flat"), tuned_vectors(texts)], 1)
        if shape == "tuned-only":
            x = x[:, DIM:]

        def run(train, test, y, seed):
            return sigmoid(logits(train_context_head(x[train], y[train], seed), x[test]))
        return run
    if shape != "mil":
        x = flat_inputs(encoded, cues, clause_cues, shape)

        def run(train, test, y, seed):
            return sigmoid(logits(train_context_head(x[train], y[train], seed), x[test]))
        return run
    clauses = clause_inputs(encoded, cues, clause_cues)

    def stack(index):
        owner = torch.tensor(np.concatenate([[j] * len(clauses[i]) for j, i in enumerate(index)]))
        return np.concatenate([clauses[i] for i in index]), owner

    def run(train, test, y, seed):
        x, owner = stack(train)
        head = fit_pooled(x, y[train], seed, owner)
        x_test, owner_test = stack(test)
        return torch.sigmoid(strongest(head(torch.from_numpy(x_test)), owner_test, len(test))).detach().numpy()
    return run


def main(shapes, leave_out=None):
    rows = disclosures(leave_out)
    y = np.array([[r[1], r[2]] for r in rows], np.float32)
    source = np.array([r[3] for r in rows])
    texts = [r[0] for r in rows]
    features = featurize(texts)
    train = np.where(source == "train")[0]
    say(f"{len(train)} training disclosures, {np.sum(source == 'test')} held-out exercises, "
          f"{np.sum(source == 'slice')} slice disclosures; accuracy, mean of {len(SEEDS)} seeds (adapter: one)")
    say(f"{'shape':8} {'cv implicated':>14} {'cv asks':>8} {'held-out impl':>14} {'held-out asks':>14} {'slice impl':>11}")
    for shape in shapes:
        run = predictor(shape, features, texts)
        figures = []
        for seed in SEEDS[:1] if shape == "adapter" else SEEDS:
            order = np.random.RandomState(seed).permutation(train)
            cv = []
            for k in range(5):
                test = order[k::5]
                p = run(np.setdiff1d(train, test), test, y, seed)
                cv.append(((p >= 0.5) == y[test]).mean(0))
            held = np.where(source == "test")[0]
            p_held = run(train, held, y, seed)
            sliced = np.where(source == "slice")[0]
            p_slice = run(train, sliced, y, seed)
            figures.append([*np.mean(cv, 0), *((p_held >= 0.5) == y[held]).mean(0),
                            np.mean((p_slice[:, 0] >= 0.5) == y[sliced, 0])])
        m = np.mean(figures, 0)
        say(f"{shape:8} {m[0]:14.3f} {m[1]:8.3f} {m[2]:14.3f} {m[3]:14.3f} {m[4]:11.3f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    leave_out = None
    if "--leave-out" in args:
        at = args.index("--leave-out")
        leave_out = args[at + 1]
        del args[at:at + 2]
    main(args or ["flat", "clauses", "mil"], leave_out)
