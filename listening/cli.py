"""The command line: ``python -m listening score|train|bench|corpus``.

It only parses arguments, calls the library and formats what comes back;
errors become one sentence on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

EXIT_OK, EXIT_SOME_FAILED, EXIT_UNUSABLE = 0, 1, 2


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@functools.lru_cache(maxsize=2)
def _coach(model_dir: str):
    """One coach per model for the life of the process (a script may call main() many times)."""
    from listening.coach import Coach

    return Coach.load(model_dir)


def cmd_score(args: argparse.Namespace) -> int:
    from listening import batch
    from listening.exercises import ExerciseError, load_library

    try:
        in_kind = batch.input_format(args.input)
        out_kind = batch.output_format(args.out)
        if args.input != "-" and not Path(args.input).is_file():
            raise batch.UnusableInput(f"{args.input}: no such file.")
        library = load_library(args.exercises)
        columns = batch.csv_columns(args.input) if in_kind == "csv" else None
        rows = batch.read_rows(args.input)
        first = next(rows, None)  # reads the CSV header: a file without 'reply' stops here
    except (batch.UnusableInput, ExerciseError) as err:
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    except OSError as err:
        _say(f"error: {args.input}: {err.strerror}.")
        return EXIT_UNUSABLE

    try:
        coach = _coach(str(args.model))
    except (FileNotFoundError, ValueError) as err:
        _say(f"error: {err}")
        return EXIT_UNUSABLE

    def all_rows():
        if first is not None:
            yield first
        yield from rows

    done, keep = 0, 0
    output_path = Path(args.out) if args.out else None
    if args.resume and output_path is None:
        _say("error: --resume needs --out: there is no file to continue.")
        return EXIT_UNUSABLE
    if args.resume and output_path.exists():
        try:
            done, keep = batch.resume_point(output_path, out_kind)
        except (batch.UnusableInput, UnicodeDecodeError, OSError) as err:
            _say(f"error: {err}")
            return EXIT_UNUSABLE
        os.truncate(output_path, keep)
        _say(f"resuming after {done} rows already in {output_path}")

    show_progress = args.progress or (args.progress is None and sys.stderr.isatty())
    counts = {"read": 0, "scored": 0, "failed": 0}
    try:
        output = open(output_path, "a" if done or keep else "w", encoding="utf-8", newline="") if output_path \
            else sys.stdout
    except OSError as err:
        _say(f"error: cannot write {args.out}: {err.strerror}.")
        return EXIT_UNUSABLE
    checkpoint = batch.Checkpoint(output_path) if output_path else None
    progress = None
    if show_progress:
        from tqdm import tqdm

        progress = tqdm(unit=" rows", file=sys.stderr, dynamic_ncols=True)
    seen: set = set()
    duplicates: list = []
    try:
        writer = batch.Writer(output, out_kind, columns, header_written=keep > 0)
        for result in batch.score_rows(coach, itertools.islice(all_rows(), done, None), library):
            writer.write(result)
            counts["read"] += 1
            counts["failed" if result["error"] else "scored"] += 1
            key = json.dumps(result["id"])
            if key in seen:
                duplicates.append(result["id"])
            seen.add(key)
            if checkpoint is not None and counts["read"] % batch.CHUNK == 0:
                os.fsync(output.fileno())  # what the checkpoint counts is on disk, power loss included
                checkpoint.save(done + counts["read"], os.fstat(output.fileno()).st_size)
            if progress is not None:
                progress.update(1)
    except batch.UnusableInput as err:
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _say("interrupted: every row written so far is complete; run again with --resume to continue.")
        return 130
    finally:
        if progress is not None:
            progress.close()
        if output is not sys.stdout:
            output.close()
    if checkpoint is not None:
        checkpoint.clear()
    if duplicates:
        _say(f"duplicate ids: {len(duplicates)} rows reuse an id seen earlier (first: {duplicates[0]!r})")
    _say(f"rows read: {counts['read']}, scored: {counts['scored']}, failed: {counts['failed']}")
    return EXIT_SOME_FAILED if counts["failed"] else EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from listening.finetune import FineTuneConfig
    from listening.train import run

    config = FineTuneConfig(epochs=args.epochs) if args.epochs else FineTuneConfig()
    started = time.time()
    figures = run(out=Path(args.out), corpus=args.corpus or None, config=config, subset=args.subset,
                  folds=args.folds, log=_say)
    test = figures.get("test")
    if test:
        _say(f"held-out macro-F1 {test['macro_f1']:.3f}, mean ECE {test['mean_ece']:.3f}")
        for label, f in test["labels"].items():
            _say(f"  {label:17s} P {f['precision']:.2f} R {f['recall']:.2f} F1 {f['f1']:.2f}")
    for name, sliced in figures["slices"].items():
        _say(f"slice {name}: macro-F1 {sliced['macro_f1']:.3f}")
    _say(f"done in {time.time() - started:.0f} s")
    return EXIT_OK


def cmd_corpus(args: argparse.Namespace) -> int:
    from listening.corpus import main

    return main(args.files)


def cmd_bench(args: argparse.Namespace) -> int:
    from listening.bench import main

    return main(replies=args.replies, out=args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m listening", description="An active-listening coach.")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="Score a file of replies (JSONL or CSV) as the batch contract says.")
    score.add_argument("input", help="a .jsonl or .csv file, or - for JSONL on stdin")
    score.add_argument("--out", help="output .jsonl or .csv (default: JSONL on stdout)")
    score.add_argument("--exercises", default=None, help="exercise library directory (default: the bundled one)")
    score.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    score.add_argument("--resume", action="store_true",
                       help="continue an interrupted run: keep the complete rows already in --out, score the rest")
    score.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="show a progress bar on stderr (default: only when stderr is a terminal)")
    score.set_defaults(run=cmd_score)

    train = sub.add_parser("train", help="Train the model from the corpus and write models/ and the model card.")
    train.add_argument("--out", default=None, help="where to write the model (default: models/)")
    train.add_argument("--corpus", nargs="*", type=Path, help="corpus files (default: models/corpus/*.jsonl)")
    train.add_argument("--folds", type=int, default=3, help="folds (by disclosure) for calibration and thresholds")
    train.add_argument("--subset", type=int, default=None, help="train on a random subset (smoke runs)")
    train.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs")
    train.set_defaults(run=cmd_train)

    bench = sub.add_parser("bench", help="Measure cold start, latency, throughput and memory against a naive baseline.")
    bench.add_argument("--replies", type=int, default=2000, help="replies in the throughput run")
    bench.add_argument("--out", default=None, help="also write the figures as JSON here")
    bench.set_defaults(run=cmd_bench)

    corpus = sub.add_parser("corpus", help="Check corpus files and print label statistics.")
    corpus.add_argument("files", nargs="*", help="corpus files (default: models/corpus/*.jsonl)")
    corpus.set_defaults(run=cmd_corpus)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "model", "") is None:
        from listening.model import MODEL_DIR

        args.model = MODEL_DIR
    if getattr(args, "exercises", "") is None:
        from listening.exercises import DEFAULT_DIR

        args.exercises = DEFAULT_DIR
    if args.command == "train" and args.out is None:
        from listening.model import MODEL_DIR

        args.out = MODEL_DIR
    return args.run(args)
