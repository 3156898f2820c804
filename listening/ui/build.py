"""The Gradio app: three pages (practise, history, practices) laid out and wired to ``Handlers``.

Every event has an explicit ``api_name``, so each action is callable with ``gradio_client``. Nothing
per-learner lives here: the practice session is a gr.State, the learner id and the saving setting are
gr.BrowserState (kept in the learner's browser), attempts go to the store.
"""

from __future__ import annotations

import random

import gradio as gr

from listening.exercises import Exercise
from listening.labels import BARRIERS, BY_NAME, SKILLS
from listening.store import Store
from listening.ui import render
from listening.ui.batch_tab import add_batch_tab
from listening.ui.handlers import (
    ANY,
    ATTEMPT_COLUMNS,
    Handlers,
    score_frame,
    session_for,
    trend_frame,
)
from listening.ui.theme import FOCUS_REPLY_JS, LEARNER_ID_JS, PRACTICE_LINKS_JS
from listening.ui.workshop import add_workshop

TITLE = "Listening practice"
HEADER = (
    "<h1>Listening practice</h1>"
    "<p>Read what they say, write what you would say back, and see what helps and what gets in the way.</p>"
)
# Distinct, dark-enough line colours for the trend charts (one per label title).
LINE_COLOURS = {
    "judgment": "#b42318", "defensiveness": "#7e22ce", "premature_advice": "#a16207", "minimizing": "#1d4ed8",
    "self_focus": "#0f766e", "validation": "#15803d", "reflection": "#a16207", "open_question": "#4338ca",
}


def _line_colours(labels: tuple[str, ...]) -> dict[str, str]:
    return {BY_NAME[label].title: LINE_COLOURS[label] for label in labels}


def open_practices():
    """A practice button was pressed: show the practices page (the browser then focuses the practice)."""
    return gr.Tabs(selected="practices")


def build_app(coach=None, store: Store | None = None, library: dict[str, Exercise] | None = None,
              rng: random.Random | None = None) -> gr.Blocks:
    """The learner's app. ``coach``: a Coach, a function returning one, or None for the shared one;
    ``store``: where attempts go, or None to keep no history."""
    h = Handlers(coach=coach, store=store, library=library, rng=rng)
    secret = store.secret() if store is not None else None
    first = h.first_exercise()
    start = session_for(first)

    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(1800, 3600)) as demo:
        learner = gr.BrowserState(None, storage_key="listening-learner", secret=secret)
        save_pref = gr.BrowserState(True, storage_key="listening-save", secret=secret)
        session = gr.State(start)

        gr.HTML(HEADER, elem_id="app-header")
        with gr.Tabs(elem_id="main-tabs") as tabs:
            # ---------------------------------------------------------------- practise
            with gr.Tab("Practise", id="practise", elem_id="tab-practise"):
                with gr.Group(elem_id="choose"):
                    with gr.Row(equal_height=True):
                        theme = gr.Dropdown(h.theme_choices(), value=ANY, label="Theme", scale=1, min_width=200,
                                            elem_id="theme", filterable=False)
                        difficulty = gr.Radio(h.difficulty_choices(), value=ANY, label="Difficulty", scale=2,
                                              elem_id="difficulty")
                    with gr.Row(equal_height=True):
                        exercise = gr.Dropdown(h.exercise_choices(), value=first.id, label="Conversation",
                                               scale=4, min_width=280, elem_id="exercise")
                        random_button = gr.Button("Surprise me", elem_id="random-exercise", scale=1,
                                                  min_width=160)
                with gr.Accordion("Or practise on a conversation of your own", open=False, elem_id="own"):
                    own_text = gr.Textbox(
                        label="What do you expect them to say to you?", lines=3, elem_id="own-disclosure",
                        placeholder="Write it the way they would say it, for the conversation you are dreading.",
                    )
                    own_button = gr.Button("Practise on this", elem_id="use-own")

                partner = gr.HTML(render.partner_html(start["disclosure"], start["title"], start["relationship"],
                                                      start["theme"], start["difficulty"]),
                                  label="Their message", elem_id="partner", js_on_load=None)
                reply = gr.Textbox(label="Your reply", lines=4, max_lines=14, elem_id="reply",
                                   placeholder="Write what you would say back to them…")
                with gr.Row(equal_height=False, elem_id="submit-row"):
                    submit = gr.Button("Get feedback", variant="primary", elem_id="submit-reply", scale=0,
                                       min_width=230)
                    gr.HTML('<p id="shortcut-hint">or press <kbd>Ctrl</kbd>+<kbd>Enter</kbd> '
                            "(<kbd>Shift</kbd>+<kbd>Enter</kbd> works too) in the reply box</p>",
                            js_on_load=None)
                message = gr.HTML("", label="Message", elem_id="message", js_on_load=None)

                with gr.Column(visible=False, elem_id="feedback") as panel:
                    score = gr.HTML("", label="Listening score", elem_id="score", js_on_load=None)
                    changes = gr.HTML("", label="Since your last try", elem_id="changes", visible=False,
                                      js_on_load=None)
                    highlight = gr.HighlightedText(
                        label="Your reply, with what the coach noticed", elem_id="reply-highlight",
                        show_legend=False, show_inline_category=True, combine_adjacent=False,
                        show_whitespaces=True, interactive=False,
                    )
                    skills = gr.HTML("", label="What helped", elem_id="skills", js_on_load=None)
                    flags = gr.HTML("", label="What got in the way", elem_id="flags", js_on_load=PRACTICE_LINKS_JS)
                    with gr.Row():
                        again = gr.Button("Edit your reply and try again", elem_id="try-again")
                        examples_button = gr.Button("Show example replies", elem_id="show-examples",
                                                    visible=False)
                    examples = gr.HTML("", label="Example replies", elem_id="examples", visible=False,
                                       js_on_load=None)
                    data = gr.JSON(visible=False, label="Feedback data")

            # ---------------------------------------------------------------- history
            with gr.Tab("History", id="history", elem_id="tab-history") as history_tab:
                overview = gr.HTML("", label="Overview", elem_id="overview", js_on_load=None)
                needs = gr.HTML("", label="Practices to work on", elem_id="needs", js_on_load=PRACTICE_LINKS_JS)
                with gr.Column(visible=False, elem_id="charts") as charts:
                    score_plot = gr.LinePlot(score_frame([]), x="attempt", y="listening score",
                                             title="Listening score, attempt by attempt", y_lim=[0, 100],
                                             height=260, elem_id="score-plot",
                                             label="Listening score trend")
                    barrier_plot = gr.LinePlot(
                        trend_frame([], BARRIERS), x="attempt", y="score", color="label",
                        color_map=_line_colours(BARRIERS), y_lim=[0, 1],
                        elem_id="barrier-plot", title="What got in the way (lower is better)",
                        label="Barrier trends",
                    )
                    skill_plot = gr.LinePlot(
                        trend_frame([], SKILLS), x="attempt", y="score", color="label",
                        color_map=_line_colours(SKILLS), y_lim=[0, 1],
                        elem_id="skill-plot", title="What helped (higher is better)", label="Skill trends",
                    )
                table = gr.Dataframe(headers=ATTEMPT_COLUMNS, value=None, interactive=False, wrap=True,
                                     label="Your attempts, newest first", elem_id="attempts",
                                     column_widths=["5%", "14%", "17%", "36%", "8%", "10%", "10%"])
                with gr.Group(elem_id="your-data"):
                    gr.HTML("<h3>Your data</h3>", js_on_load=None)
                    save_box = gr.Checkbox(True, label="Save my attempts to my history", elem_id="save-attempts",
                                           interactive=store is not None)
                    history_message = gr.HTML(h.storage_note(True), label="About your data", elem_id="history-message",
                                              js_on_load=None)
                    with gr.Row():
                        export_button = gr.Button("Export my history (CSV)", elem_id="export-history",
                                                  interactive=store is not None)
                        delete_button = gr.Button("Delete my history…", variant="stop", elem_id="delete-history",
                                                  interactive=store is not None)
                    with gr.Row(visible=False, elem_id="confirm-delete") as confirm_row:
                        gr.HTML('<p role="alert">Delete every attempt saved from this browser? '
                                "This cannot be undone.</p>", js_on_load=None)
                        confirm_button = gr.Button("Yes, delete it all", variant="stop", elem_id="confirm-delete-yes")
                        cancel_button = gr.Button("Keep it", elem_id="confirm-delete-no")
                    export_file = gr.File(label="Your history as CSV", visible=False, elem_id="export-file",
                                          interactive=False)

            # ---------------------------------------------------------------- practices
            with gr.Tab("Practices", id="practices", elem_id="tab-practices"):
                gr.HTML(render.practices_html(), elem_id="practices", js_on_load=None)

            add_batch_tab(h)

        # ------------------------------------------------------------------------- events
        choose_outputs = [exercise, partner, session, reply, message, panel, examples_button, examples]
        review_outputs = [message, panel, score, changes, highlight, skills, flags, examples_button, examples,
                          session, data, learner]
        history_outputs = [overview, needs, charts, score_plot, barrier_plot, skill_plot, table, history_message]

        demo.load(None, [learner], [learner], js=LEARNER_ID_JS, api_name="learner_id").then(
            h.start, [learner, save_pref], [learner, save_box, history_message], api_name="start")
        gr.on([theme.input, difficulty.input], h.filter_exercises, [theme, difficulty, session], choose_outputs,
              api_name="filter_exercises")
        exercise.input(h.choose_exercise, [exercise, session], choose_outputs, api_name="choose_exercise")
        random_button.click(h.random_exercise, [theme, difficulty, session], choose_outputs,
                            api_name="random_exercise")
        own_button.click(h.use_own_disclosure, [own_text, session], choose_outputs, api_name="use_own_disclosure")
        gr.on([submit.click, reply.submit], h.review, [reply, session, learner, save_box], review_outputs,
              api_name="review_reply")
        again.click(None, None, None, js=FOCUS_REPLY_JS, api_name="try_again")
        examples_button.click(h.reveal_examples, [session], [examples, message], api_name="reveal_examples")
        gr.on([flags.click, needs.click], open_practices, None, [tabs], api_name="open_practice",
              api_visibility="private")

        history_tab.select(h.history, [learner, save_box], history_outputs, api_name="history")
        save_box.input(h.set_saving, [save_box], [save_pref, history_message], api_name="set_saving")
        export_button.click(h.export_history, [learner], [export_file, history_message],
                            api_name="export_history")
        delete_button.click(lambda: gr.update(visible=True), None, [confirm_row], api_name="ask_delete_history",
                            api_visibility="private")
        cancel_button.click(lambda: gr.update(visible=False), None, [confirm_row],
                            api_name="cancel_delete_history", api_visibility="private")
        confirm_button.click(h.delete_history, [learner, save_box], history_outputs + [confirm_row, export_file],
                             api_name="delete_history")

    add_workshop(demo, h)  # workshop mode: /workshop, /projector and /room
    return demo
