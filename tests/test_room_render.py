"""Workshop mode's HTML and the join address, as pure functions: markup from people is shown as text, the
projector and the summary name no one, the QR code is drawn here, phones get an address they can reach."""

from listening import rooms
from listening.rooms import Display, Phase, Room, RoomExercise, Status, Submission
from listening.ui import room_render
from listening.ui import workshop as pages

EXERCISE = RoomExercise(1, "x", "<b>Title</b>", "I <i>never</i> get a say.", ("Ex <one>", "Ex two"))
FEEDBACK = {
    "labels": ["premature_advice"], "scores": {label: 0.1 for label in rooms.LABELS} | {"premature_advice": 0.9},
    "flags": [{"label": "premature_advice", "score": 0.9, "confidence": "likely", "practices": [2, 4],
               "practice_titles": [], "spans": [{"start": 30, "end": 50, "text": "You should just quit"}],
               "why": "w", "try": "t"}],
    "skills": [], "listening_score": 33, "summary": "s",
}


def reply(number, text, labels=(), hidden=False, feedback=None):
    return Submission(number, "AAAAAA", 1, number, number, "t", text, Status.SCORED, hidden, 50, tuple(labels),
                      None, feedback)


def room(display=Display.WALL):
    return Room("K7QH3M", "h", "2025-01-01T10:00:00+00:00", 1, Phase.OPEN, display, None, 4, EXERCISE)


def test_the_projector_shows_markup_as_text_and_marks_the_evidence():
    text = '<img src=x onerror="alert(1)">You should just quit'
    assert text[30:50] == "You should just quit"
    subs = [reply(1, text, ["premature_advice"], feedback=FEEDBACK)]
    from listening.workshop import ProjectorState

    state = ProjectorState(room(), rooms.tally(subs, 1), tuple(subs), None)
    html = room_render.projector_html(state, "http://192.168.1.5:7860")
    assert "<img" not in html and "&lt;img" in html and "<b>Title" not in html and "&lt;i&gt;never" in html
    assert '<mark style="--mark:#b42318">You should just quit<span class="mark-tag">Jumping to advice' in html
    assert "192.168.1.5:7860/room" in html and "K7QH3M" in html
    assert '<li class="chart-row barrier" data-label="premature_advice">' in html


def test_the_wall_shows_the_newest_replies_first_and_at_most_twelve():
    subs = [reply(n, f"reply {n}") for n in range(1, 16)]
    html = room_render.wall_html(subs)
    assert html.count('class="wall-card"') == 12 and "The latest 12 of 15 replies" in html
    assert html.index('data-number="15"') < html.index('data-number="4"') and 'data-number="3"' not in html


def test_the_summary_is_one_page_without_names_or_replies():
    subs = [reply(1, "SECRET REPLY", ["validation"])]
    html = room_render.summary_html(room(), [EXERCISE], {1: rooms.tally(subs, 1)}, participants=1)
    assert html.startswith("<!doctype html>") and "<script" not in html and "http" not in html
    assert "SECRET REPLY" not in html and "1 participant replied" in html and "Ex &lt;one&gt;" in html


def test_the_qr_code_is_drawn_here_as_svg():
    svg = room_render.qr_svg("http://192.168.1.5:7860/room?code=K7QH3M")
    assert svg.startswith("<svg") and "viewBox" in svg and "<image" not in svg and "href" not in svg


def test_phones_get_an_address_they_can_reach(monkeypatch):
    class Request:
        headers = {"host": "127.0.0.1:7860"}
        url = "http://127.0.0.1:7860/gradio_api/queue/join"

    monkeypatch.delenv("LISTENING_PUBLIC_URL", raising=False)
    monkeypatch.setattr(pages, "lan_address", lambda: "192.168.1.5")
    assert pages.app_address(Request(), "0.0.0.0") == "http://192.168.1.5:7860"
    assert pages.app_address(Request(), "127.0.0.1") == "http://127.0.0.1:7860"  # and the page says so
    Request.headers = {"host": "10.0.0.2:7860"}
    assert pages.app_address(Request(), "0.0.0.0") == "http://10.0.0.2:7860"
    monkeypatch.setenv("LISTENING_PUBLIC_URL", "https://workshop.example.org/")
    assert pages.app_address(Request(), "0.0.0.0") == "https://workshop.example.org"
