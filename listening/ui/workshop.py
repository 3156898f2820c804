"""Workshop mode's pages, added to the learner's app as routes:

- ``/workshop``: the facilitator starts (or reopens) a room, puts exercises up, opens and closes replies,
  chooses what the projector shows, hides replies, downloads the results and deletes the room;
- ``/projector``: the wall view of one room, refreshed every second (needs the code and facilitator key);
- ``/room``: participants join with the code on a phone or laptop and get their own feedback.

Every handler takes the room's code and the facilitator key (or the participant's token) as inputs and
goes through ``listening.workshop.Workshop``, which checks them on every call; hiding a control in the page
is never the protection. Every event has an explicit ``api_name``. Facilitator actions that are refused
raise ``gr.Error`` with one sentence (a notice in the page, an error for API clients); the projector and
participants' pages say it in the page instead.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import os
import shutil
import socket
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

import gradio as gr

from listening import rooms
from listening.room_store import RoomStore
from listening.rooms import DISPLAY_NAMES, Display, Phase, Room, RoomError, Status
from listening.ui import render, room_render
from listening.ui.downloads import Downloads
from listening.ui.workshop_theme import (
    FACILITATOR_ROOM_JS,
    FULLSCREEN_JS,
    MODERATION_JS,
    PROJECTOR_KEYS_JS,
    PROJECTOR_ROOM_JS,
    ROOM_SEAT_JS,
)
from listening.workshop import Seat, Workshop

PROJECTOR_SECONDS = 1.0     # the projector asks for news this often
FACILITATOR_SECONDS = 2.0   # the facilitator's reply list
PARTICIPANT_SECONDS = 3.0   # a participant's page (a new exercise, replies opening or closing, late feedback)
SCORE_WAIT_SECONDS = 20.0   # a participant waits this long for feedback before being told it follows
MAIN_PAGE = "Practise"

# The named endpoints workshop mode adds (the learner app's tests check the whole list).
ENDPOINTS = frozenset({
    "/start_room", "/open_room", "/start_exercise", "/start_own_exercise", "/next_exercise", "/open_replies",
    "/close_replies", "/projector_shows", "/compare_replies", "/hide_reply", "/show_reply", "/room_replies",
    "/download_results", "/download_summary", "/delete_room",
    "/projector_open", "/projector_refresh",
    "/join_room", "/send_reply", "/seat_refresh", "/leave_room",
})


def _error(err: Exception) -> gr.Error:
    """A refusal as one sentence in the page (gr.Error shows HTML, so the sentence is escaped)."""
    return gr.Error(html.escape(str(err), quote=False), title="Not done", print_exception=False)


def lan_address() -> str | None:
    """This machine's address on the local network (no packet is sent: UDP connect only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))
            return probe.getsockname()[0]
        except OSError:
            return None


def app_address(request: gr.Request | None, server_name: str | None) -> str:
    """Where participants' phones reach this app: ``$LISTENING_PUBLIC_URL`` if set, else the address the
    facilitator used, with this machine's network address instead of localhost when the app listens on
    every interface."""
    if os.environ.get("LISTENING_PUBLIC_URL"):
        return os.environ["LISTENING_PUBLIC_URL"].rstrip("/")
    headers = dict(getattr(request, "headers", None) or {}) if request is not None else {}
    host = headers.get("x-forwarded-host") or headers.get("host") or "127.0.0.1:7860"
    scheme = headers.get("x-forwarded-proto") or urlparse(str(getattr(request, "url", "") or "")).scheme or "http"
    name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    if name in ("127.0.0.1", "localhost", "::1", "[::1]") and server_name in ("0.0.0.0", "::"):
        lan = lan_address()
        if lan:
            host = f"{lan}:{port}" if port else lan
    return f"{scheme}://{host}"


def only_this_machine(server_name: str | None) -> bool:
    return server_name in (None, "127.0.0.1", "localhost", "::1")


class FacilitatorView(NamedTuple):
    message: Any
    controls: Any       # the column of controls (shown once a room is open)
    room_panel: Any
    now: Any
    replies: Any
    display: Any        # what the projector shows (radio)
    code: Any           # the open room's code and key: inputs to every facilitator action
    key: Any
    saved: Any          # gr.BrowserState: this browser's room, to come back to
    seen: Any           # the room revision the reply list shows
    timer: Any
    data: Any           # the room's state as JSON, for API clients


class ProjectorView(NamedTuple):
    view: Any
    seen: Any
    timer: Any
    data: Any           # what the projector shows, as JSON (never a nickname)


class ParticipantView(NamedTuple):
    message: Any
    join_box: Any
    room_box: Any
    seat_line: Any
    partner: Any
    status: Any
    reply: Any
    send: Any
    feedback: Any
    score: Any
    highlight: Any
    skills: Any
    flags: Any
    code: Any
    token: Any
    round: Any
    stage: Any
    timer: Any
    seat: Any           # gr.BrowserState: this device's seat, so a reload keeps it
    data: Any


def _skip_all(view: type[NamedTuple]):
    return view(*(gr.skip() for _ in view._fields))


def _stage(seat: Seat) -> str:
    latest = seat.latest
    return f"{seat.room.round}:{seat.room.phase.value}:{latest.id if latest else 0}:{latest.status.value if latest else ''}"


class WorkshopPages:
    """The handlers of the three pages, bound to one ``Workshop``."""

    def __init__(self, workshop: Workshop, choices: list[tuple[str, str]], temporary: bool = False):
        self.workshop = workshop
        self.choices = choices
        self.temporary = temporary   # rooms live in a temporary file (the app runs with --no-store)
        self.demo: gr.Blocks | None = None
        self._downloads = Downloads("listening-room-")

    @property
    def server_name(self) -> str | None:
        """The address the app listens on (known once it is launched)."""
        return getattr(self.demo, "server_name", None)

    # --- the facilitator --------------------------------------------------------------------------------

    def _room_data(self, room: Room, replies: list) -> dict:
        tally = rooms.tally(replies, room.round)
        ex = room.exercise
        return {
            "code": room.code, "round": room.round, "phase": room.phase.value, "display": room.display.value,
            "compare": list(room.compare) if room.compare else None, "revision": room.revision,
            "exercise": None if ex is None else {"exercise_id": ex.exercise_id, "title": ex.title,
                                                 "disclosure": ex.disclosure, "examples": list(ex.examples)},
            **tally.to_dict(),
            "replies": [{"number": s.number, "reply": s.reply, "status": s.status.value, "hidden": s.hidden,
                         "listening_score": s.listening_score, "labels": list(s.labels)} for s in replies],
        }

    def _facilitator_view(self, room: Room, key: str, request: gr.Request | None, message: str = "",
                          extra: dict | None = None) -> FacilitatorView:
        replies = self.workshop.store.submissions(room.code, room.round) if room.round else []
        tally = rooms.tally(replies, room.round)
        base = app_address(request, self.server_name)
        notes = []
        if only_this_machine(self.server_name) and not os.environ.get("LISTENING_PUBLIC_URL"):
            notes.append("This app listens on this machine only, so phones cannot join: start it with "
                         "python app.py --host 0.0.0.0 to share it on your network.")
        if self.temporary:
            notes.append("This server keeps no data (--no-store): the room lasts until the app stops.")
        note = "".join(render.message_html(n, "info") for n in notes)
        return FacilitatorView(
            message=render.message_html(message, "info") + note if message or note else "",
            controls=gr.update(visible=True),
            room_panel=room_render.room_panel_html(room, key, base),
            now=room_render.now_html(room, tally),
            replies=room_render.replies_html(room, replies),
            display=gr.update(value=room.display.value, interactive=room.exercise is not None),
            code=room.code,
            key=key,
            saved={"code": room.code, "key": key},
            seen=room.revision,
            timer=gr.Timer(active=True),
            data={**self._room_data(room, replies), **(extra or {})},
        )

    def start_room(self, request: gr.Request = None) -> FacilitatorView:
        """A new room: its code, its facilitator key, the join link and QR code."""
        room, key = self.workshop.create_room()
        return self._facilitator_view(
            room, key, request, f"Room {room.code} is ready. Open the projector view, then choose an exercise.",
            extra={"key": key})

    def open_room(self, code: str, key: str, request: gr.Request = None) -> FacilitatorView:
        """Reopen a room with its code and facilitator key (after a restart, or from another device)."""
        try:
            room = self.workshop.facilitate(code, key)
        except RoomError as err:
            raise _error(err) from None
        return self._facilitator_view(room, key.strip(), request, f"Room {room.code} is open again.")

    def resume_room(self, code: str, key: str, request: gr.Request = None) -> FacilitatorView:
        """On page load: the room this browser ran last (or one in the address), quietly."""
        if not code or not key:
            return _skip_all(FacilitatorView)
        try:
            room = self.workshop.facilitate(code, key)
        except RoomError:
            skip = gr.skip()
            return FacilitatorView(
                render.message_html("The room this browser ran last is no longer there; start a new one.", "info"),
                skip, skip, skip, skip, skip, "", "", None, skip, skip, skip)
        return self._facilitator_view(room, key.strip(), request)

    def _act(self, code: str, key: str, request: gr.Request | None, action, message: str = "") -> FacilitatorView:
        try:
            room = action()
        except RoomError as err:
            raise _error(err) from None
        if not isinstance(room, Room):
            room = self.workshop.facilitate(code, key)
        return self._facilitator_view(room, key.strip(), request, message)

    def start_exercise(self, code: str, key: str, exercise_id: str, request: gr.Request = None) -> FacilitatorView:
        """Put a library exercise on the projector, replies open."""
        return self._act(code, key, request, lambda: self.workshop.start_exercise(code, key, exercise_id))

    def start_own_exercise(self, code: str, key: str, title: str, disclosure: str,
                           request: gr.Request = None) -> FacilitatorView:
        """Put an exercise typed live on the projector, replies open."""
        return self._act(code, key, request,
                         lambda: self.workshop.start_own_exercise(code, key, disclosure, title))

    def next_exercise(self, code: str, key: str, request: gr.Request = None) -> FacilitatorView:
        return self._act(code, key, request, lambda: self.workshop.next_exercise(code, key))

    def open_replies(self, code: str, key: str, request: gr.Request = None) -> FacilitatorView:
        return self._act(code, key, request, lambda: self.workshop.open_replies(code, key))

    def close_replies(self, code: str, key: str, request: gr.Request = None) -> FacilitatorView:
        return self._act(code, key, request, lambda: self.workshop.close_replies(code, key))

    def projector_shows(self, code: str, key: str, display: str, request: gr.Request = None) -> FacilitatorView:
        """What the projector shows under the exercise: chart, wall, compare or examples."""
        try:
            room = self.workshop.facilitate(code, key)
        except RoomError as err:
            raise _error(err) from None
        try:
            room = self.workshop.show(code, key, display)
        except RoomError as err:  # e.g. side by side before two replies are picked: the choice goes back
            view = self._facilitator_view(room, key.strip(), request)
            return view._replace(message=render.message_html(str(err)))
        return self._facilitator_view(room, key.strip(), request)

    def compare_replies(self, code: str, key: str, first: str | int | None, second: str | int | None,
                        request: gr.Request = None) -> FacilitatorView:
        """Two replies of the current exercise side by side on the projector."""
        return self._act(code, key, request, lambda: self.workshop.compare(code, key, first, second))

    def moderate(self, code: str, key: str, event: gr.EventData, request: gr.Request = None) -> FacilitatorView:
        """A Hide / Show again button in the reply list."""
        data = getattr(event, "_data", None) or {}
        hidden = data.get("action") != "show"
        return self._act(code, key, request, lambda: self.workshop.hide(code, key, data.get("number"), hidden))

    def hide_reply(self, code: str, key: str, number: int) -> dict:
        """Take reply #number of the current exercise off the projector (wall, side by side and chart)."""
        return self._moderate_api(code, key, number, True)

    def show_reply(self, code: str, key: str, number: int) -> dict:
        """Put a hidden reply back."""
        return self._moderate_api(code, key, number, False)

    def _moderate_api(self, code: str, key: str, number: int, hidden: bool) -> dict:
        try:
            s = self.workshop.hide(code, key, number, hidden)
        except RoomError as err:
            raise _error(err) from None
        return {"number": s.number, "hidden": s.hidden}

    def room_replies(self, code: str, key: str, seen: float | None, request: gr.Request = None) -> FacilitatorView:
        """Every couple of seconds: the reply list and the counts, when something changed."""
        try:
            room = self.workshop.facilitate(code, key)
        except RoomError as err:
            skip = gr.skip()
            return FacilitatorView(render.message_html(str(err)), gr.update(visible=False), skip, skip, skip,
                                   skip, skip, skip, skip, skip, gr.Timer(active=False), {"error": str(err)})
        if seen is not None and int(seen) == room.revision:
            return _skip_all(FacilitatorView)
        view = self._facilitator_view(room, key.strip(), request)
        skip = gr.skip()
        return view._replace(message=skip, controls=skip, room_panel=skip, display=skip, code=skip, key=skip,
                             saved=skip, timer=skip)

    def download_results(self, code: str, key: str) -> tuple[Any, str]:
        """Every reply of the room as CSV (cells that would run as a spreadsheet formula are neutralised)."""
        try:
            text = self.workshop.results_csv(code, key)
        except RoomError as err:
            raise _error(err) from None
        rows = text.count("\n") - 1
        path = self._offer(text, f"listening-room-{rooms.normalise_code(code)}-{datetime.now():%Y-%m-%d}.csv")
        return (gr.update(value=str(path), visible=True),
                render.message_html(f"The room's {rows} repl{'y' if rows == 1 else 'ies'} are ready to download.",
                                    "info"))

    def download_summary(self, code: str, key: str) -> tuple[Any, str]:
        """A one-page summary (self-contained HTML): each exercise, how many replied, the chart."""
        try:
            room, rounds, participants, submissions = self.workshop.results(code, key)
        except RoomError as err:
            raise _error(err) from None
        tallies = {r.round: rooms.tally(submissions, r.round) for r in rounds}
        html = room_render.summary_html(room, rounds, tallies, len(participants))
        path = self._offer(html, f"listening-room-{room.code}-summary.html")
        return gr.update(value=str(path), visible=True), render.message_html(
            "The summary is ready to download: one page, no names, no replies.", "info")

    def delete_room(self, code: str, key: str) -> tuple[Any, ...]:
        """Delete the room, its participants and every reply, for good."""
        try:
            count = self.workshop.delete(code, key)
        except RoomError as err:
            raise _error(err) from None
        skip = gr.skip()
        message = render.message_html(
            f"Room {rooms.normalise_code(code)} and its {count} repl{'y' if count == 1 else 'ies'} are deleted.",
            "info")
        view = FacilitatorView(message, gr.update(visible=False), "", "", "", skip, "", "", None, -1,
                               gr.Timer(active=False), {"deleted": count})
        hidden_file = gr.update(value=None, visible=False)
        return (gr.update(visible=False), hidden_file, hidden_file, *view)

    def _offer(self, text: str, name: str) -> Path:
        """A file on its way to the facilitator's browser, removed after an hour (and when the app stops)."""
        path = self._downloads.folder() / name
        path.write_text(text, encoding="utf-8")
        return path

    # --- the projector ----------------------------------------------------------------------------------

    def projector_open(self, code: str, key: str, request: gr.Request = None) -> ProjectorView:
        """The wall view of the room (needs its facilitator key)."""
        return self.projector_refresh(code, key, -1, request)

    def projector_refresh(self, code: str, key: str, seen: float | None,
                          request: gr.Request = None) -> ProjectorView:
        """Every second: the view again if the room changed since revision ``seen`` (-1 for always)."""
        if not code or not key:
            text = ("This view needs the room's code and facilitator key: open it with the projector link on "
                    "the facilitator's page.")
            return ProjectorView(room_render.projector_message_html(text), -1, gr.Timer(active=False),
                                 {"error": text})
        try:
            room = self.workshop.facilitate(code, key)
        except RoomError as err:
            return ProjectorView(room_render.projector_message_html(str(err)), -1, gr.Timer(active=False),
                                 {"error": str(err)})
        if seen is not None and int(seen) == room.revision:
            return _skip_all(ProjectorView)
        state = self.workshop.projector_state(room)
        base = app_address(request, self.server_name)
        return ProjectorView(room_render.projector_html(state, base), room.revision, gr.Timer(active=True),
                             state.to_dict())

    # --- participants -----------------------------------------------------------------------------------

    def _seat_view(self, seat: Seat, token: str, message: str = "", previous_stage: str | None = None,
                   kind: str = "info") -> ParticipantView:
        room, latest = seat.room, seat.latest
        exercise = room.exercise
        new_round = previous_stage is None or previous_stage.split(":", 1)[0] != str(room.round)
        waiting = latest is not None and latest.status is Status.WAITING
        feedback = room_render.feedback_of(latest, exercise.disclosure if exercise else "") if latest else None
        if feedback is not None:
            marks = render.marks_of(feedback)
            pieces = render.segments(feedback.reply, marks)
            highlight = gr.update(value=pieces, color_map=render.colour_map(marks, pieces))
            panel = (gr.update(visible=True), render.score_html(feedback, seat.tries), highlight,
                     render.skills_html(feedback), render.flags_html(feedback, practice_links=False))
        elif latest is not None and latest.status is Status.FAILED:
            message, kind = latest.error or "The coach could not read this reply.", "error"
            panel = (gr.update(visible=False), "", gr.skip(), "", "")
        else:
            panel = (gr.update(visible=False), "", gr.skip(), "", "")
        partner = (render.partner_html(exercise.disclosure, exercise.title) if exercise else
                   render.partner_html("", ""))
        data = {
            "code": room.code, "token": token, "round": room.round, "phase": room.phase.value, "stage": _stage(seat),
            "exercise": None if exercise is None else {"title": exercise.title, "disclosure": exercise.disclosure},
            "submission": None if latest is None else {
                "number": latest.number, "status": latest.status.value, "listening_score": latest.listening_score,
                "labels": list(latest.labels), "feedback": latest.feedback, "tries": seat.tries},
        }
        if message and kind == "error":
            data["error"] = message
        return ParticipantView(
            message=render.message_html(message, kind),
            join_box=gr.update(visible=False),
            room_box=gr.update(visible=True),
            seat_line=room_render.seat_html(room, seat.participant.nickname),
            partner=partner if new_round else gr.skip(),
            status=room_render.participant_status_html(room, waiting),
            reply="" if new_round else gr.skip(),
            send=gr.update(interactive=room.phase is Phase.OPEN),
            feedback=panel[0], score=panel[1], highlight=panel[2], skills=panel[3], flags=panel[4],
            code=room.code,
            token=token,
            round=room.round,
            stage=_stage(seat),
            timer=gr.Timer(active=True),
            seat={"code": room.code, "token": token},
            data=data,
        )

    def _join_form(self, message: str = "", kind: str = "error") -> ParticipantView:
        """The join form again, this device's seat forgotten."""
        skip = gr.skip()
        return ParticipantView(
            render.message_html(message, kind), gr.update(visible=True), gr.update(visible=False), skip, skip, skip,
            skip, skip, skip, skip, skip, skip, skip, "", "", 0, "", gr.Timer(active=False), None,
            {"error": message} if message and kind == "error" else {})

    def resume_seat(self, code: str, token: str) -> ParticipantView:
        """On page load: back in the room this device joined before, or the join form."""
        if not code or not token:
            return _skip_all(ParticipantView)
        try:
            seat = self.workshop.seat(code, token)
        except RoomError:
            return self._join_form()
        return self._seat_view(seat, token)

    def join_room(self, code: str, nickname: str | None = None) -> ParticipantView:
        """Join with the room's code (no account); the nickname is optional and never projected."""
        try:
            seat, token = self.workshop.join(code, nickname)
        except RoomError as err:
            return self._join_form(str(err))
        return self._seat_view(seat, token)

    async def send_reply(self, code: str, token: str, round: float | None, reply: str) -> ParticipantView:
        """Store the reply, then show this participant's own feedback as soon as the coach has read it."""
        try:
            submission, disclosure = await asyncio.to_thread(self.workshop.accept, code, token, round, reply)
        except RoomError as err:
            return self._seat_error(code, token, str(err))
        future = self.workshop.scorer.score(submission, disclosure)
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout=SCORE_WAIT_SECONDS)
        except Exception:  # noqa: BLE001 - stored either way; the page's refresh brings the feedback later
            pass
        try:
            seat = await asyncio.to_thread(self.workshop.seat, code, token)
        except RoomError as err:
            return self._join_form(str(err))
        view = self._seat_view(seat, token, previous_stage=f"{seat.room.round}:")
        return view._replace(reply=gr.skip())

    def _seat_error(self, code: str, token: str, message: str) -> ParticipantView:
        try:
            seat = self.workshop.seat(code, token)
        except RoomError as err:
            return self._join_form(str(err))
        view = self._seat_view(seat, token, message, previous_stage=f"{seat.room.round}:", kind="error")
        return view._replace(reply=gr.skip(), feedback=gr.skip(), score=gr.skip(), highlight=gr.skip(),
                             skills=gr.skip(), flags=gr.skip())

    def seat_refresh(self, code: str, token: str, stage: str | None) -> ParticipantView:
        """Every few seconds: a new exercise, replies opening or closing, or feedback that came late."""
        if not code or not token:
            return _skip_all(ParticipantView)
        try:
            seat = self.workshop.seat(code, token)
        except RoomError as err:
            text = str(err) if "No room" not in str(err) else "This room has ended. Thank you for taking part."
            return self._join_form(text, kind="info")
        if stage == _stage(seat):
            return _skip_all(ParticipantView)
        return self._seat_view(seat, token, previous_stage=stage or None)

    def leave_room(self) -> ParticipantView:
        return self._join_form("You left the room. Join again with a code.", kind="info")


def _exercise_dropdown(choices: list[tuple[str, str]]) -> gr.Dropdown:
    return gr.Dropdown(choices, value=choices[0][1] if choices else None, label="Exercise from the library",
                       scale=4, min_width=260, elem_id="fac-exercise")


def add_workshop(demo: gr.Blocks, handlers, workshop: Workshop | None = None) -> WorkshopPages:
    """Add workshop mode's pages to the learner's app (call after building its main page).

    ``handlers``: the learner app's ``Handlers`` (for its coach, exercise library, list order and store).
    Rooms are kept in the learner store's database file, or in a temporary one when there is no store.
    """
    temporary = handlers.store is None
    choices = handlers.exercise_choices()
    if workshop is None:
        if temporary:
            folder = tempfile.mkdtemp(prefix="listening-rooms-")
            atexit.register(shutil.rmtree, folder, True)
            path = Path(folder) / "rooms.db"
        else:
            path = handlers.store.path
        workshop = Workshop(RoomStore.open(path), lambda: handlers.coach, handlers.library,
                            order=[value for _, value in choices])
    pages = WorkshopPages(workshop, choices, temporary=temporary)
    pages.demo = demo
    secret = handlers.store.secret() if handlers.store is not None else None

    # the main page's entry in the bar at the top (before any route, so it lands on the main page)
    with demo:
        gr.Navbar(main_page_name=MAIN_PAGE, elem_id="main-nav")

    # ------------------------------------------------------------------------------ the facilitator
    with demo.route("Run a workshop", "/workshop"):
        gr.Navbar(main_page_name=MAIN_PAGE)
        gr.HTML("<h1>Run a workshop</h1><p>One screen on the projector, participants on their phones or laptops: "
                "everyone replies to the same conversation, each gets private feedback, and the room sees its "
                "replies as a whole.</p>", elem_id="fac-header", js_on_load=None)
        saved = gr.BrowserState(None, storage_key="listening-facilitator", secret=secret)
        code = gr.Textbox(visible=False, label="Room code", elem_id="fac-code")
        key = gr.Textbox(visible=False, label="Facilitator key", elem_id="fac-key")
        seen = gr.Number(-1, visible=False, label="Seen revision", precision=0)
        data = gr.JSON(visible=False, label="Room data")
        timer = gr.Timer(FACILITATOR_SECONDS, active=False)
        with gr.Row(equal_height=True):
            start = gr.Button("Start a new room", variant="primary", elem_id="fac-start", scale=0, min_width=220)
        with gr.Accordion("Reopen a room you started", open=False, elem_id="fac-reopen"):
            with gr.Row(equal_height=True):
                open_code = gr.Textbox(label="Room code", max_lines=1, elem_id="fac-open-code", scale=1)
                open_key = gr.Textbox(label="Facilitator key", type="password", max_lines=1, elem_id="fac-open-key",
                                      scale=2)
                open_button = gr.Button("Reopen", elem_id="fac-open", scale=0, min_width=140)
        message = gr.HTML("", elem_id="fac-message", js_on_load=None)
        with gr.Column(visible=False, elem_id="fac-controls") as controls:
            room_panel = gr.HTML("", elem_id="fac-room", js_on_load=None)
            now = gr.HTML("", elem_id="fac-now", js_on_load=None)
            with gr.Group(elem_id="fac-exercise-group"):
                with gr.Row(equal_height=True):
                    exercise = _exercise_dropdown(pages.choices)
                    put_up = gr.Button("Put it on the projector", variant="primary", elem_id="fac-put-up", scale=1,
                                       min_width=200)
                with gr.Accordion("Or type an exercise live", open=False, elem_id="fac-own"):
                    own_title = gr.Textbox(label="Title (optional)", max_lines=1, elem_id="fac-own-title")
                    own_text = gr.Textbox(label="What they say", lines=3, elem_id="fac-own-text",
                                          placeholder="Write it the way the person would say it.")
                    own_button = gr.Button("Put this on the projector", elem_id="fac-own-put-up")
            with gr.Row(equal_height=True):
                next_button = gr.Button("Next exercise", elem_id="fac-next")
                open_replies = gr.Button("Open replies", elem_id="fac-open-replies")
                close_replies = gr.Button("Close replies", elem_id="fac-close-replies")
            display = gr.Radio([(name, d.value) for d, name in DISPLAY_NAMES.items()], value=Display.CHART.value,
                               label="The projector shows the exercise, the count and the chart, and",
                               elem_id="fac-display", interactive=False)
            with gr.Row(equal_height=True):
                first = gr.Textbox(label="Compare reply #", max_lines=1, placeholder="e.g. 3", elem_id="fac-compare-a",
                                   min_width=140)
                second = gr.Textbox(label="with reply #", max_lines=1, placeholder="e.g. 7", elem_id="fac-compare-b",
                                    min_width=140)
                compare = gr.Button("Show them side by side", elem_id="fac-compare", min_width=200)
            replies = gr.HTML("", elem_id="fac-replies", js_on_load=MODERATION_JS)
            gr.HTML("<h3>At the end</h3>", js_on_load=None)
            with gr.Row():
                csv_button = gr.Button("Download the results (CSV)", elem_id="fac-download-csv")
                summary_button = gr.Button("Download a one-page summary", elem_id="fac-download-summary")
                delete_button = gr.Button("Delete this room…", variant="stop", elem_id="fac-delete")
            with gr.Row(visible=False, elem_id="fac-confirm-delete") as confirm_row:
                gr.HTML('<p role="alert">Delete this room, its participants and every reply? The projector and '
                        "participants' pages stop. This cannot be undone.</p>", js_on_load=None)
                confirm = gr.Button("Yes, delete the room", variant="stop", elem_id="fac-delete-yes")
                cancel = gr.Button("Keep it", elem_id="fac-delete-no")
            csv_file = gr.File(label="Results (CSV)", visible=False, interactive=False, elem_id="fac-csv-file")
            summary_file = gr.File(label="Summary (HTML)", visible=False, interactive=False,
                                   elem_id="fac-summary-file")

        outputs = [message, controls, room_panel, now, replies, display, code, key, saved, seen, timer, data]
        room_inputs = [code, key]
        demo.load(None, [saved], [code, key], js=FACILITATOR_ROOM_JS, api_name="facilitator_saved_room").then(
            pages.resume_room, room_inputs, outputs, api_name="resume_room", api_visibility="undocumented")
        start.click(pages.start_room, None, outputs, api_name="start_room")
        gr.on([open_button.click, open_key.submit], pages.open_room, [open_code, open_key], outputs,
              api_name="open_room")
        put_up.click(pages.start_exercise, [code, key, exercise], outputs, api_name="start_exercise")
        own_button.click(pages.start_own_exercise, [code, key, own_title, own_text], outputs,
                         api_name="start_own_exercise")
        next_button.click(pages.next_exercise, room_inputs, outputs, api_name="next_exercise")
        open_replies.click(pages.open_replies, room_inputs, outputs, api_name="open_replies")
        close_replies.click(pages.close_replies, room_inputs, outputs, api_name="close_replies")
        display.input(pages.projector_shows, [code, key, display], outputs, api_name="projector_shows")
        compare.click(pages.compare_replies, [code, key, first, second], outputs, api_name="compare_replies")
        replies.click(pages.moderate, room_inputs, outputs, api_name="moderate", api_visibility="undocumented")
        gr.api(pages.hide_reply, api_name="hide_reply")
        gr.api(pages.show_reply, api_name="show_reply")
        timer.tick(pages.room_replies, [code, key, seen], outputs, api_name="room_replies", show_progress="hidden",
                   concurrency_limit=4)
        csv_button.click(pages.download_results, room_inputs, [csv_file, message], api_name="download_results")
        summary_button.click(pages.download_summary, room_inputs, [summary_file, message],
                             api_name="download_summary")
        delete_button.click(lambda: gr.update(visible=True), None, [confirm_row], api_name="ask_delete_room",
                            api_visibility="private")
        cancel.click(lambda: gr.update(visible=False), None, [confirm_row], api_name="cancel_delete_room",
                     api_visibility="private")
        confirm.click(pages.delete_room, room_inputs, [confirm_row, csv_file, summary_file] + outputs,
                      api_name="delete_room")

    # ------------------------------------------------------------------------------ the projector
    with demo.route("Projector", "/projector", show_in_navbar=False):
        gr.Navbar(visible=False)
        pj_code = gr.Textbox(visible=False, label="Room code")
        pj_key = gr.Textbox(visible=False, label="Facilitator key")
        pj_seen = gr.Number(-1, visible=False, label="Seen revision", precision=0)
        pj_data = gr.JSON(visible=False, label="Projector data")
        pj_view = gr.HTML(room_render.projector_message_html("Opening the room…"), elem_id="projector-view",
                          js_on_load=PROJECTOR_KEYS_JS)
        full = gr.Button("Full screen (F)", elem_id="projector-fullscreen", size="sm")
        pj_timer = gr.Timer(PROJECTOR_SECONDS, active=False)
        pj_outputs = [pj_view, pj_seen, pj_timer, pj_data]
        demo.load(None, [pj_code, pj_key], [pj_code, pj_key], js=PROJECTOR_ROOM_JS, api_name="projector_room").then(
            pages.projector_open, [pj_code, pj_key], pj_outputs, api_name="projector_open")
        pj_timer.tick(pages.projector_refresh, [pj_code, pj_key, pj_seen], pj_outputs, api_name="projector_refresh",
                      show_progress="hidden", concurrency_limit=8)
        full.click(None, None, None, js=FULLSCREEN_JS, api_name="projector_full_screen")

    # ------------------------------------------------------------------------------ participants
    with demo.route("Join a room", "/room"):
        gr.Navbar(visible=False)
        gr.HTML("<h1>Join a workshop room</h1><p>Reply to the conversation on the projector and get your own "
                "feedback. No account: only the facilitator's download sees your nickname, and the projector shows "
                "replies without names.</p>", elem_id="room-header", js_on_load=None)
        seat = gr.BrowserState(None, storage_key="listening-room-seat", secret=secret)
        r_code = gr.Textbox(visible=False, label="Room code")
        r_token = gr.Textbox(visible=False, label="Participant token")
        r_round = gr.Number(0, visible=False, label="Exercise round", precision=0)
        r_stage = gr.Textbox(visible=False, label="Seen stage")
        r_data = gr.JSON(visible=False, label="Participant data")
        r_timer = gr.Timer(PARTICIPANT_SECONDS, active=False)
        with gr.Column(elem_id="room-join") as join_box:
            join_code = gr.Textbox(label="Room code (on the projector)", max_lines=1, elem_id="room-code-input",
                                   placeholder="e.g. K7QH3M")
            nickname = gr.Textbox(label="Nickname (optional; never shown on the projector)", max_lines=1,
                                  elem_id="room-nickname")
            join = gr.Button("Join", variant="primary", elem_id="room-join-button")
        r_message = gr.HTML("", elem_id="room-message", js_on_load=None)
        with gr.Column(visible=False, elem_id="room-page") as room_box:
            seat_line = gr.HTML("", elem_id="room-seat", js_on_load=None)
            partner = gr.HTML("", elem_id="room-partner", js_on_load=None)
            status = gr.HTML("", elem_id="room-status", js_on_load=None)
            reply = gr.Textbox(label="Your reply", lines=4, max_lines=12, elem_id="room-reply",
                               placeholder="Write what you would say back to them…")
            send = gr.Button("Send my reply", variant="primary", elem_id="room-send")
            with gr.Column(visible=False, elem_id="room-feedback") as feedback_box:
                score = gr.HTML("", elem_id="room-score", js_on_load=None)
                highlight = gr.HighlightedText(
                    label="Your reply, with what the coach noticed", elem_id="room-highlight", show_legend=False,
                    show_inline_category=True, combine_adjacent=False, show_whitespaces=True, interactive=False)
                skills = gr.HTML("", elem_id="room-skills", js_on_load=None)
                flags = gr.HTML("", elem_id="room-flags", js_on_load=None)
            leave = gr.Button("Leave this room", size="sm", elem_id="room-leave")

        r_outputs = [r_message, join_box, room_box, seat_line, partner, status, reply, send, feedback_box, score,
                     highlight, skills, flags, r_code, r_token, r_round, r_stage, r_timer, seat, r_data]
        demo.load(None, [seat, join_code], [join_code, r_code, r_token], js=ROOM_SEAT_JS, api_name="room_saved_seat").then(
            pages.resume_seat, [r_code, r_token], r_outputs, api_name="resume_seat", api_visibility="undocumented")
        gr.on([join.click, join_code.submit, nickname.submit], pages.join_room, [join_code, nickname], r_outputs,
              api_name="join_room", concurrency_limit=8)
        send.click(pages.send_reply, [r_code, r_token, r_round, reply], r_outputs, api_name="send_reply",
                   concurrency_limit=None)
        r_timer.tick(pages.seat_refresh, [r_code, r_token, r_stage], r_outputs, api_name="seat_refresh",
                     show_progress="hidden", concurrency_limit=8)
        leave.click(pages.leave_room, None, r_outputs, api_name="leave_room")

    return pages
