"""``python -m listening bench``: speed and memory of the engine against a naive baseline, in one run.

Measures cold start (a fresh process, import to first feedback), single-reply
latency p50/p95, batch throughput on N replies, and peak memory; then the
same replies through a naive loop that scores one reply at a time and
re-encodes the disclosure every time. Then the same N replies as a JSONL file
scored file to file by batch scoring: on the local engine, and on Ray Data with
one and with two workers (Ray started once; each run's figure includes its
workers loading the model). Machines are noisy: compare the ratios, which are
measured in the same run.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLD_START = """
import time, resource
t0 = time.perf_counter()
from listening import Coach
coach = Coach.load()
coach.feedback("I'm so stressed about work, I feel like I'm failing.", "You should talk to HR.")
print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def cold_start() -> tuple[float, float]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True, env=env, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    seconds, rss = out.stdout.split()
    return float(seconds), float(rss)


def workload(n: int) -> list[tuple[str, str]]:
    from listening.corpus import load_corpus

    examples = load_corpus()
    return [(examples[i % len(examples)].disclosure, examples[i % len(examples)].reply) for i in range(n)]


def file_run(engine, source: Path, out: Path, library) -> dict:
    """Score a JSONL file into another with batch scoring on ``engine``: wall time, first result, rates."""
    from listening import batch

    first: list[float] = []
    started = time.perf_counter()
    summary = batch.run(batch.inspect_input(str(source)), str(out), engine, library,
                        on_row=lambda _: first or first.append(time.perf_counter()))
    seconds = time.perf_counter() - started
    until_first = first[0] - started
    return {"seconds": round(seconds, 2), "replies_per_s": round(summary.read / seconds, 1),
            "first_result_s": round(until_first, 2),
            "after_first_replies_per_s": round((summary.read - 1) / max(seconds - until_first, 1e-9), 1)}


def file_batch(coach, pairs: list[tuple[str, str]], ray: bool) -> dict:
    """File-to-file batch scoring of the same replies: local engine, then Ray with 1 and 2 workers."""
    from listening import batch, load_library

    library = load_library()
    figures: dict = {"replies": len(pairs)}
    with tempfile.TemporaryDirectory(prefix="listening-bench-") as folder:
        source = Path(folder) / "replies.jsonl"
        source.write_text("".join(json.dumps({"id": i, "disclosure": d, "reply": r}) + "\n"
                                  for i, (d, r) in enumerate(pairs)), encoding="utf-8")
        _say(f"batch scoring a file of {len(pairs)} replies, local engine...")
        coach.featurizer.forget_disclosures()  # as cold as a Ray worker's
        figures["local"] = file_run(batch.LocalEngine(coach), source, Path(folder) / "local.jsonl", library)
        if not ray:
            return figures
        from listening.ray_engine import RayEngine

        _say("starting Ray...")
        started = time.perf_counter()
        engines = [RayEngine(workers=1)]
        engines[0].start()
        figures["ray_start_s"] = round(time.perf_counter() - started, 2)
        try:
            for workers in (1, 2):
                if workers > 1:
                    engines.append(RayEngine(workers=workers))
                    engines[-1].start()
                _say(f"batch scoring the same file on Ray, {workers} worker{'s' if workers > 1 else ''}...")
                engine = engines[-1]
                figures[f"ray_{workers}_worker{'s' if workers > 1 else ''}"] = {
                    "threads_per_worker": engine.threads,
                    **file_run(engine, source, Path(folder) / f"ray-{workers}.jsonl", library)}
        finally:
            for engine in reversed(engines):
                engine.close()
    return figures


def main(replies: int = 2000, out: str | None = None, ray: bool = True) -> int:
    from listening import Coach

    load_before = os.getloadavg()[0]  # other work on the machine skews every figure: say how busy it was
    _say("cold start (fresh process)...")
    cold_seconds, cold_rss = cold_start()
    coach = Coach.load()
    pairs = workload(replies)
    coach.feedback_many(pairs[:64])  # warm up

    _say("single-reply latency...")
    latencies = []
    for disclosure, reply in pairs[:300]:
        started = time.perf_counter()
        coach.feedback(disclosure, reply)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()

    _say(f"batch throughput on {len(pairs)} replies...")
    started = time.perf_counter()
    coach.feedback_many(pairs)
    batch_rate = len(pairs) / (time.perf_counter() - started)

    _say("naive baseline (one at a time, disclosure re-encoded every time)...")
    naive_pairs = pairs[:300]
    started = time.perf_counter()
    for disclosure, reply in naive_pairs:
        coach.featurizer.forget_disclosures()
        coach.feedback(disclosure, reply)
    naive_rate = len(naive_pairs) / (time.perf_counter() - started)

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the engine's, before Ray's driver joins in
    files = file_batch(coach, pairs, ray)

    figures = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "precision": coach.featurizer.encoder.precision,
                    "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]},
        "cold_start_s": round(cold_seconds, 2),
        "cold_start_peak_rss_mb": round(cold_rss),
        "single_p50_ms": round(statistics.median(latencies), 1),
        "single_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "batch_replies_per_s": round(batch_rate, 1),
        "naive_replies_per_s": round(naive_rate, 1),
        "speedup_batch_vs_naive": round(batch_rate / naive_rate, 2),
        "peak_rss_mb": round(peak_rss),
        "replies": len(pairs),
        "file_batch": files,
    }
    text = json.dumps(figures, indent=2)
    sys.stdout.write(text + "\n")
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    return 0
