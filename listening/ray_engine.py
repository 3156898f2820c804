"""``--engine ray``: the same batch scoring on Ray Data, the coach loaded once per worker.

How a run goes:

- one read task, pinned to the driver's node, reads the input with the same readers as the local engine
  (``batch.read_rows``) and checks every row there (``batch.pair_of``): same row numbers, same
  sentences for bad rows, same rules for JSONL, CSV and Parquet. It streams blocks of ``CHUNK`` rows.
- ``map_batches`` sends the blocks to a fixed pool of actors (``ActorPoolStrategy(size=workers)``);
  each actor loads the trained coach once and scores the good rows of each block with
  ``Coach.feedback_many``; bad rows pass through with their error.
- the driver takes the results back in input order and writes them with the local engine's writers,
  so the output, the checkpoint and ``--resume`` are the same.

The trained model file travels with the job (sent once to each actor) and the ``listening`` code is
shipped with the job's runtime environment; each node needs the Python requirements installed.
Locally Ray is started with this machine's CPUs and no dashboard; with ``RAY_ADDRESS`` set the run
joins that cluster. Only this module imports ray: the engine and the local path never load it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import ray
import ray.data
from ray.data import ActorPoolStrategy, Datasource, ReadTask
from ray.data.block import BlockMetadata

import listening
from listening import batch
from listening.errors import InputError, ListeningError
from listening.model import MODEL_DIR, WEIGHTS

ROWS = pa.schema([("seq", pa.int64()), ("head", pa.string()), ("source", pa.string()),
                  ("disclosure", pa.string()), ("reply", pa.string()), ("error", pa.string())])


class EngineProblem(ListeningError):
    """Ray could not be started or joined, or a run on it failed (one sentence)."""


class _Rows(Datasource):
    """The input's rows, read and checked on the driver's node, in blocks of ``chunk`` rows."""

    def __init__(self, source: str, skip: int, library: dict, chunk: int):
        super().__init__()
        self.source, self.skip, self.library, self.chunk = source, skip, library, chunk

    def estimate_inmemory_data_size(self) -> int | None:
        return None

    @property
    def supports_distributed_reads(self) -> bool:
        return False  # read where the file is: on the driver's node

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context=None) -> list[ReadTask]:
        meta = BlockMetadata(num_rows=None, size_bytes=None, exec_stats=None, input_files=None)
        return [ReadTask(self._blocks, meta, schema=ROWS, per_task_row_limit=per_task_row_limit)]

    def _blocks(self) -> Iterator[pa.Table]:
        rows = itertools.islice(batch.read_rows(self.source), self.skip, None)
        records = (self._record(seq, row) for seq, row in enumerate(rows, self.skip))
        while block := list(itertools.islice(records, self.chunk)):
            yield pa.Table.from_pylist(block, schema=ROWS)

    def _record(self, seq: int, row: batch.Row) -> dict:
        try:
            disclosure, reply = batch.pair_of(row, self.library)
            error = None
        except InputError as err:
            disclosure = reply = None
            error = str(err)
        # ASCII JSON in transit: any text survives the trip, lone surrogates included.
        return {"seq": seq, "head": json.dumps(batch.head_of(row)), "source": json.dumps(batch.source_of(row)),
                "disclosure": disclosure, "reply": reply, "error": error}


class Scorer:
    """One actor of the pool: the coach, loaded once, scoring block after block."""

    def __init__(self, weights: bytes, threads: int, exercises: list):
        import torch

        torch.set_num_threads(threads)
        folder = Path(tempfile.mkdtemp(prefix="listening-model-"))
        (folder / WEIGHTS).write_bytes(weights)
        from listening.coach import Coach

        self.coach = Coach.load(folder)
        self.coach.know(exercises)  # as the local engine does: the run's library, --exercises included

    def __call__(self, block: pa.Table) -> pa.Table:
        rows = block.select(["head", "disclosure", "reply", "error"]).to_pylist()
        good = [(r["disclosure"], r["reply"]) for r in rows if r["error"] is None]
        feedback = iter(self.coach.feedback_many(good) if good else [])
        results = [json.dumps({**json.loads(r["head"]),
                               **(batch.failure(r["error"]) if r["error"] is not None else batch.results_of(next(feedback)))})
                   for r in rows]
        return pa.table({"seq": block["seq"], "result": pa.array(results, pa.string()), "source": block["source"]})


class RayEngine:
    """Scores on Ray Data with ``workers`` actors, each holding one coach."""

    name = "ray"

    def __init__(self, workers: int | None = None, model_dir: Path | str = MODEL_DIR, chunk: int = batch.CHUNK):
        self.requested, self.chunk = workers, chunk
        weights = Path(model_dir) / WEIGHTS
        if not weights.is_file():
            raise FileNotFoundError(f"No trained model at {weights}; run `python -m listening train` first.")
        self.weights = weights.read_bytes()
        self.started = False
        self.workers = 0
        self.threads = 1

    def start(self) -> None:
        """Join the cluster named by RAY_ADDRESS, or start Ray on this machine; size the actor pool."""
        if not ray.is_initialized():
            options = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False,
                       "runtime_env": {"py_modules": [str(Path(listening.__file__).parent)]}}
            address = os.environ.get("RAY_ADDRESS")
            try:
                if address:
                    ray.init(address=address, **options)
                else:
                    ray.init(num_cpus=max(os.cpu_count() or 1, self.requested or 1), **options)
            except (ConnectionError, RuntimeError, ValueError) as err:
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise EngineProblem(f"cannot start or join {where} ({str(err).splitlines()[0]}).") from None
            self.started = True
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # results come back in input order
        context.enable_progress_bars = False  # the command line has its own
        context.print_on_execution_start = False
        cpus = int(ray.cluster_resources().get("CPU", 1))
        biggest = max((int(n["Resources"].get("CPU", 0)) for n in ray.nodes() if n.get("Alive")), default=cpus)
        self.workers = self.requested or cpus
        if self.workers > cpus:
            raise EngineProblem(f"--workers {self.workers} needs a CPU each, and Ray has {cpus}.")
        self.threads = max(1, min(cpus // self.workers, biggest))

    def score(self, info: batch.InputInfo, rows, skip: int, library: dict) -> Iterator[batch.Scored]:
        """Score the input's rows after the first ``skip``; ``rows`` (the driver's reader) is not used."""
        if not self.workers:
            self.start()
        dataset = ray.data.read_datasource(_Rows(info.name, skip, library, self.chunk), num_cpus=0)
        with warnings.catch_warnings():
            # max_restarts=0: a worker that dies fails the run (--resume continues it) rather than being restarted
            # from constructor arguments Ray may have dropped; Ray 2.60 takes it only among the deprecated
            # remote arguments, and warns about that.
            warnings.simplefilter("ignore", DeprecationWarning)
            scored = dataset.map_batches(Scorer, fn_constructor_args=(self.weights, self.threads, list(library.values())),
                                         batch_size=self.chunk, batch_format="pyarrow",
                                         compute=ActorPoolStrategy(size=self.workers), num_cpus=self.threads,
                                         udf_modifying_row_count=False, max_restarts=0)
        try:
            for block in scored.iter_batches(batch_size=None, batch_format="pyarrow"):
                for result, source in zip(block["result"].to_pylist(), block["source"].to_pylist()):
                    yield batch.Scored(json.loads(result), json.loads(source))
        except ray.exceptions.RayError as err:
            raise EngineProblem(f"the Ray run failed ({_first_line(err)}).") from None

    def close(self) -> None:
        if self.started and ray.is_initialized():
            ray.shutdown()
        self.started = False


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0].rstrip(".")
