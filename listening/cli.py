"""The command line: ``python -m listening score|train|bench|corpus``.

It only parses arguments, calls the library and formats what comes back;
errors become one sentence on stderr and an exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
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


def _engine(args: argparse.Namespace):
    """The scoring engine the options ask for (loading the model: seconds)."""
    from listening import batch

    if args.engine == "ray":
        try:
            from listening.ray_engine import RayEngine
        except ImportError:
            raise batch.UnusableInput("--engine ray needs Ray: pip install 'ray[data]==2.60.0'.") from None
        engine = RayEngine(args.workers, args.model)
        engine.start()
        return engine
    return batch.LocalEngine(_coach(str(args.model)))


def cmd_score(args: argparse.Namespace) -> int:
    from listening import batch, report
    from listening.errors import ListeningError
    from listening.exercises import ExerciseError, load_library

    problem = None
    if args.resume and args.out is None:
        problem = "--resume needs --out: there is no file to continue."
    elif args.engine == "ray" and args.input == "-":
        problem = "--engine ray reads a file; it cannot read stdin."
    elif args.workers is not None and args.engine != "ray":
        problem = "--workers needs --engine ray."
    elif args.workers is not None and args.workers < 1:
        problem = "--workers must be at least 1."
    elif args.report and not Path(args.report).resolve().parent.is_dir():
        problem = f"cannot write the report {args.report}: its folder does not exist."
    if problem:
        _say(f"error: {problem}")
        return EXIT_UNUSABLE
    try:
        info = batch.inspect_input(args.input)  # the file, its format, a CSV header, a Parquet schema
        batch.output_format(args.out)
        library = load_library(args.exercises)
    except (batch.UnusableInput, ExerciseError) as err:
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    except OSError as err:
        _say(f"error: {args.input}: {err.strerror}.")
        return EXIT_UNUSABLE

    try:
        engine = _engine(args)
    except (FileNotFoundError, ValueError) as err:  # no model, a model for other labels, no Ray to be had
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    progress = None
    try:
        if args.progress or (args.progress is None and sys.stderr.isatty()):
            from tqdm import tqdm

            progress = tqdm(unit=" rows", file=sys.stderr, dynamic_ncols=True, total=info.rows)
        tally = report.Tally() if args.report else None
        summary = batch.run(
            info, args.out, engine, library, resume=args.resume, tally=tally,
            on_row=(lambda _: progress.update(1)) if progress is not None else None,
            on_resume=lambda done: _say(f"resuming after {done} rows already in {args.out}"),
        )
    except ListeningError as err:  # the output cannot be written or continued, the Ray run failed
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _say("interrupted: every row written so far is complete; run again with --resume to continue.")
        return 130
    finally:
        if progress is not None:
            progress.close()
        if hasattr(engine, "close"):
            engine.close()
    if tally is not None:
        titles = {key: exercise.title for key, exercise in library.items()}
        try:
            Path(args.report).write_text(report.render(tally, titles, Path(args.input).name), encoding="utf-8")
        except OSError as err:
            _say(f"error: cannot write the report {args.report}: {err.strerror}.")
            return EXIT_UNUSABLE
    if summary.duplicates:
        _say(f"duplicate ids: {summary.duplicates} rows reuse an id seen earlier (first: {summary.first_duplicate!r})")
    _say(summary.line())
    return EXIT_SOME_FAILED if summary.failed else EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from listening.finetune import FineTuneConfig
    from listening.train import run

    config = FineTuneConfig(epochs=args.epochs) if args.epochs else FineTuneConfig()
    started = time.time()
    figures = run(out=Path(args.out), corpus=args.corpus or None, config=config, subset=args.subset,
                  folds=args.folds, log=_say)
    _report(figures)
    _say(f"done in {time.time() - started:.0f} s")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from listening.train import reevaluate

    try:
        figures = reevaluate(Path(args.model))
    except (FileNotFoundError, ValueError) as err:
        _say(f"error: {err}")
        return EXIT_UNUSABLE
    _report(figures)
    _say(f"figures written to {Path(args.model) / 'metrics.json'} and the model card")
    return EXIT_OK


def _report(figures: dict) -> None:
    test = figures.get("test")
    if test:
        _say(f"held-out macro-F1 {test['macro_f1']:.3f}, mean ECE {test['mean_ece']:.3f}")
        for label, f in test["labels"].items():
            _say(f"  {label:17s} P {f['precision']:.2f} R {f['recall']:.2f} F1 {f['f1']:.2f}")
    written = figures.get("test_authored_context")
    if written:
        _say(f"held-out, context as written for the exercises: macro-F1 {written['macro_f1']:.3f}")
    for name, sliced in figures["slices"].items():
        _say(f"slice {name}: macro-F1 {sliced['macro_f1']:.3f}")


def cmd_corpus(args: argparse.Namespace) -> int:
    from listening.corpus import main

    return main(args.files)


def cmd_bench(args: argparse.Namespace) -> int:
    from listening.bench import main

    return main(replies=args.replies, out=args.out, ray=not args.no_ray)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m listening", description="An active-listening coach.")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="Score a file of replies (JSONL, CSV or Parquet) as the batch contract says.")
    score.add_argument("input", help="a .jsonl, .csv or .parquet file, or - for JSONL on stdin")
    score.add_argument("--out", help="output .jsonl, .csv or .parquet (default: JSONL on stdout)")
    score.add_argument("--report", metavar="REPORT.html", default=None,
                       help="also write a report (one self-contained HTML file): labels overall, per exercise, "
                            "per learner over time, the highest- and lowest-scoring replies")
    score.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: this process (default); ray: Ray Data, the coach once per worker "
                            "(joins the cluster at $RAY_ADDRESS when set)")
    score.add_argument("--workers", type=int, default=None,
                       help="with --engine ray: how many workers (default: one per CPU Ray has)")
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

    evaluate = sub.add_parser("evaluate", help="Measure the trained model again on its held-out disclosures and "
                                               "slices; rewrite metrics.json and the model card.")
    evaluate.add_argument("--model", default=None, help="model directory (default: the bundled one)")
    evaluate.set_defaults(run=cmd_evaluate)

    bench = sub.add_parser("bench", help="Measure cold start, latency, throughput and memory against a naive baseline.")
    bench.add_argument("--replies", type=int, default=2000, help="replies in the throughput run")
    bench.add_argument("--out", default=None, help="also write the figures as JSON here")
    bench.add_argument("--no-ray", action="store_true", help="skip the Ray rows (quicker)")
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
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
