"""The app's Batch tab: score a whole file of replies (CSV, JSONL or Parquet), download the scored file
and the report.

``BatchScorer.score_file`` is the handler as a plain function (tests call it directly); ``add_batch_tab``
lays the tab out inside the app's ``gr.Tabs`` and wires it (one call from ``build.py``). Scoring is the
command line's: ``batch.run`` on the local engine, the same rows, errors, outputs and report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, NamedTuple

import gradio as gr
import pandas as pd

from listening import batch, report
from listening.exercises import Exercise
from listening.ui import render
from listening.ui.downloads import Downloads

MAX_ROWS = 10_000  # larger files belong on the command line, not in a shared app's queue
FORMATS = {"CSV": ".csv", "JSONL": ".jsonl", "Parquet": ".parquet"}
PROBLEM_COLUMNS = ["Row id", "Why it could not be scored"]
INTRO = (
    "<p>Score a whole file of replies at once. Each row needs a <code>reply</code> and either a "
    "<code>disclosure</code> or an <code>exercise_id</code> (<code>id</code>, <code>learner</code> and "
    "<code>timestamp</code> or <code>attempt</code> are optional; other columns are carried through). "
    f"CSV, JSONL or Parquet, up to {MAX_ROWS:,} rows here; the command line "
    "(<code>python -m listening score</code>) takes files of any size.</p>"
)


class BatchView(NamedTuple):
    message: Any   # one sentence (HTML)
    problems: Any  # the rows that could not be scored (table)
    scored: Any    # the scored file, to download
    report: Any    # the HTML report, to download


class BatchScorer:
    """Scores uploaded files with the app's coach; files for download live an hour in a private folder."""

    def __init__(self, coach: Callable[[], Any], library: dict[str, Exercise]):
        self._coach = coach  # a zero-argument function: the app's shared coach, loaded on first use
        self.library = library
        self._downloads = Downloads("listening-batch-")

    def score_file(self, upload: str | None, out_format: str = "CSV", progress=gr.Progress()) -> BatchView:  # noqa: B008
        """Score the uploaded file; the scored file and the report come back for download."""
        if not upload:
            return refuse("Choose a file to score first (CSV, JSONL or Parquet).")
        name = Path(upload).name
        if out_format not in FORMATS:
            return refuse(f"Choose the scored file's format: {', '.join(FORMATS)}.")
        try:
            info = batch.inspect_input(upload)
            total = batch.count_rows(info)
        except batch.UnusableInput as err:
            return refuse(str(err).replace(upload, name))
        except (OSError, UnicodeDecodeError):
            return refuse(f"{name} cannot be read as {Path(name).suffix.lstrip('.').upper()}.")
        if total == 0:
            return refuse(f"{name} has no rows to score.")
        if total > MAX_ROWS:
            return refuse(f"{name} has {total:,} rows and the app scores up to {MAX_ROWS:,} at a time; "
                          "use the command line (python -m listening score) for larger files.")

        folder = self._downloads.folder()
        stem = Path(name).stem
        out, page = folder / f"{stem}-scored{FORMATS[out_format]}", folder / f"{stem}-report.html"
        progress((0, total), desc="Loading the coach", unit="rows")
        engine = batch.LocalEngine(self._coach())

        def advance(summary: batch.Summary) -> None:
            if summary.read % 32 == 0 or summary.read == total:
                progress((summary.read, total), desc="Scoring", unit="rows")

        tally = report.Tally()
        try:
            summary = batch.run(info, str(out), engine, self.library, tally=tally, on_row=advance)
        except batch.UnusableInput as err:
            return refuse(str(err).replace(upload, name).replace(str(out), out.name))
        titles = {key: exercise.title for key, exercise in self.library.items()}
        page.write_text(report.render(tally, titles, name), encoding="utf-8")

        note = f"Scored {summary.scored:,} of {summary.read:,} rows."
        if summary.failed:
            note += (f" {summary.failed:,} row{'s' if summary.failed != 1 else ''} could not be scored: "
                     "listed below, and each carries its reason in the scored file's error column.")
        if summary.duplicates:
            note += f" {summary.duplicates:,} rows reuse an id seen earlier."
        shown = summary.problems
        table = pd.DataFrame([[str(row_id), error] for row_id, error in shown], columns=PROBLEM_COLUMNS)
        return BatchView(
            message=render.message_html(note, "info"),
            problems=gr.update(value=table, visible=bool(shown),
                               label=problems_label(len(shown), summary.failed)),
            scored=gr.update(value=str(out), visible=True),
            report=gr.update(value=str(page), visible=True),
        )


def problems_label(shown: int, failed: int) -> str:
    if shown < failed:
        return f"Rows that could not be scored (the first {shown:,} of {failed:,})"
    return "Rows that could not be scored"


def refuse(message: str) -> BatchView:
    """One sentence, and nothing to download."""
    hidden = gr.update(value=None, visible=False)
    return BatchView(render.message_html(message), hidden, hidden, hidden)


def add_batch_tab(handlers) -> None:
    """The Batch tab, inside the app's gr.Tabs; ``handlers`` gives the shared coach and the exercise library."""
    scorer = BatchScorer(lambda: handlers.coach, handlers.library)
    with gr.Tab("Batch", id="batch", elem_id="tab-batch"):
        gr.HTML(INTRO, elem_id="batch-intro", js_on_load=None)
        upload = gr.File(label="Replies to score (CSV, JSONL or Parquet)", file_types=list(FORMATS.values()),
                         type="filepath", elem_id="batch-upload")
        out_format = gr.Radio(list(FORMATS), value="CSV", label="Scored file format", elem_id="batch-format")
        score = gr.Button("Score the file", variant="primary", elem_id="batch-score")
        message = gr.HTML("", label="Message", elem_id="batch-message", js_on_load=None)
        with gr.Row():
            scored = gr.File(label="Scored file", visible=False, interactive=False, elem_id="batch-scored")
            page = gr.File(label="Report (HTML: open it in any browser)", visible=False, interactive=False,
                           elem_id="batch-report")
        problems = gr.Dataframe(headers=PROBLEM_COLUMNS, value=None, visible=False, interactive=False, wrap=True,
                                label="Rows that could not be scored", elem_id="batch-problems")
    score.click(scorer.score_file, [upload, out_format], [message, problems, scored, page], api_name="score_file")
