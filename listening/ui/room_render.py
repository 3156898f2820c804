"""Pure builders for workshop mode's HTML: the projector (counts, chart, wall, side by side, examples), the
facilitator's room panel and reply list, the participant's status, the join QR code, and the one-page
summary download. No Gradio here; all text from people goes through ``render.esc``.

Highlights reuse the learner app's pieces (``render.marks_of``, ``segments``, ``colour_map``), so a reply
is marked the same way on a phone, on the wall and in the learner app.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Sequence
from urllib.parse import quote

import segno

from listening.feedback import Feedback
from listening.labels import BARRIERS, BY_NAME, SKILLS
from listening.rooms import DISPLAY_NAMES, Display, Phase, Room, RoomExercise, Status, Submission, Tally
from listening.ui import render
from listening.ui.render import esc

WALL_LIMIT = 12  # the wall shows at most the latest 12 replies (as many as fit); the chart counts all
PHASE_TEXT = {
    Phase.WAITING: "Waiting for the first exercise",
    Phase.OPEN: "Replies open",
    Phase.CLOSED: "Replies closed",
}


# --- links and the QR code ----------------------------------------------------------------------------


def join_url(base: str, code: str) -> str:
    """Where a participant's phone goes: the room page with the code filled in."""
    return f"{base.rstrip('/')}/room?code={quote(code)}"


def projector_url(base: str, code: str, key: str) -> str:
    # The key rides in the fragment: browsers never send it to a server, and the page removes it from the bar.
    return f"{base.rstrip('/')}/projector#room={quote(code)}&key={quote(key)}"


def facilitator_url(base: str, code: str, key: str) -> str:
    return f"{base.rstrip('/')}/workshop#room={quote(code)}&key={quote(key)}"


@lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The URL as a QR code, inline SVG made here (no network); sized by CSS."""
    code = segno.make(url, error="m")
    return code.svg_inline(scale=1, border=2, dark="#000000", light="#ffffff", omitsize=True,
                           title=f"QR code for {url}", svgclass="qr")


def _host(url: str) -> str:
    return url.split("://", 1)[-1]


# --- the chart ----------------------------------------------------------------------------------------


def chart_html(tally: Tally, heading: str = "h2") -> str:
    """Horizontal bars, one per label, skills first: how many of the counted replies showed it."""
    n = tally.counted
    caption = (f"What the coach heard in {n} repl{'y' if n == 1 else 'ies'}" if n
               else "What the coach heard: the bars fill as replies come in")

    def rows(labels: Sequence[str], kind: str) -> str:
        out = []
        for label in labels:
            count = tally.counts.get(label, 0)
            width = 0 if not n else round(100 * count / n, 1)
            out.append(
                f'<li class="chart-row {kind}" data-label="{label}">'
                f'<span class="chart-label">{esc(BY_NAME[label].title)}</span>'
                f'<span class="chart-bar" aria-hidden="true"><span style="width:{width}%"></span></span>'
                f'<span class="chart-n">{count}<span class="visually-hidden"> of {n}</span></span></li>')
        return "".join(out)

    return (
        f'<figure class="room-chart" aria-labelledby="room-chart-h"><{heading} id="room-chart-h" class="chart-h">'
        f"{esc(caption)}</{heading}>"
        f'<p class="chart-group-h skill"><span aria-hidden="true">✓ </span>Helped</p><ul class="chart-rows">'
        f'{rows(SKILLS, "skill")}</ul>'
        f'<p class="chart-group-h barrier"><span aria-hidden="true">! </span>Got in the way</p><ul class="chart-rows">'
        f'{rows(BARRIERS, "barrier")}</ul></figure>'
    )


# --- replies, highlighted -------------------------------------------------------------------------------


def feedback_of(submission: Submission, disclosure: str = "") -> Feedback | None:
    if submission.status is not Status.SCORED or not submission.feedback:
        return None
    return Feedback.from_dict(submission.feedback, disclosure, submission.reply)


def highlighted_html(submission: Submission) -> str:
    """The reply with the words behind each finding marked and named (as in the learner app)."""
    feedback = feedback_of(submission)
    if feedback is None:
        return esc(submission.reply)
    marks = render.marks_of(feedback)
    pieces = render.segments(feedback.reply, marks)
    colours = render.colour_map(marks, pieces)
    out = []
    for text, category in pieces:
        body = esc(text).replace("\n", "<br>")
        if category:
            out.append(f'<mark style="--mark:{colours[category]}">{body}'
                       f'<span class="mark-tag">{esc(category)}</span></mark>')
        else:
            out.append(body)
    return "".join(out)


def chips_html(labels: Sequence[str]) -> str:
    chips = [f'<span class="chip {"skill" if label in SKILLS else "barrier"}">{esc(BY_NAME[label].title)}</span>'
             for label in [*[x for x in labels if x in SKILLS], *[x for x in labels if x in BARRIERS]]]
    return "".join(chips) or '<span class="chip none">Nothing the coach listens for</span>'


def reply_card(submission: Submission) -> str:
    """One reply on the wall: its number, its words with the findings marked (or a note that there are none)."""
    none = "" if submission.labels else f'<p class="wall-chips">{chips_html(())}</p>'
    return (f'<article class="wall-card" data-number="{submission.number}">'
            f'<p class="wall-n">#{submission.number}</p>'
            f'<p class="wall-text">{highlighted_html(submission)}</p>{none}</article>')


def wall_html(replies: Sequence[Submission], limit: int = WALL_LIMIT) -> str:
    """The latest replies first, so a full screen cuts off the oldest."""
    if not replies:
        return ('<section class="pj-side wall" aria-label="Replies"><p class="pj-quiet">'
                "Replies appear here as the coach reads them.</p></section>")
    shown = list(replies)[::-1][:limit]
    more = (f'<p class="pj-quiet wall-more">The latest {len(shown)} of {len(replies)} replies, newest first.</p>'
            if len(shown) < len(replies) else "")
    return (f'<section class="pj-side wall" aria-label="Replies">{more}'
            f'<div class="wall-grid">{"".join(reply_card(s) for s in shown)}</div></section>')


def compare_html(pair: tuple[Submission | None, Submission | None] | None, numbers: tuple[int, int] | None) -> str:
    cards = []
    for i, sub in enumerate(pair or (None, None)):
        if sub is None:
            n = numbers[i] if numbers else "?"
            cards.append(f'<article class="wall-card gone"><p class="wall-n">#{n}</p>'
                         '<p class="pj-quiet">This reply is not shown.</p></article>')
        else:
            cards.append(reply_card(sub))
    return f'<section class="pj-side compare" aria-label="Two replies side by side">{"".join(cards)}</section>'


def examples_side_html(exercise: RoomExercise | None) -> str:
    if exercise is None or not exercise.examples:
        return ('<section class="pj-side examples" aria-label="Example replies"><p class="pj-quiet">'
                "This exercise has no example replies.</p></section>")
    items = "".join(f"<li>{esc(e)}</li>" for e in exercise.examples)
    return (f'<section class="pj-side examples" aria-labelledby="pj-examples-h">'
            f'<h2 id="pj-examples-h" class="pj-side-h">Example replies</h2><ol>{items}</ol></section>')


# --- the projector --------------------------------------------------------------------------------------


def _join_text(base: str, code: str) -> str:
    return (f'<div class="pj-join-text"><span class="pj-label">Join at</span> '
            f'<span class="pj-url">{esc(_host(base.rstrip("/")))}/room</span> '
            f'<span class="pj-label">with code</span> <span class="pj-code">{esc(code)}</span></div>')


def _join_qr(base: str, code: str) -> str:
    return f'<div class="pj-qr">{qr_svg(join_url(base, code))}</div>'


def projector_html(state, base: str) -> str:
    """The wall view of a room (a ``workshop.ProjectorState``); ``base`` is the app's address for phones."""
    room: Room = state.room
    tally: Tally = state.tally
    exercise = room.exercise
    if exercise is None:
        return (f'<div class="pj waiting" data-revision="{room.revision}"><div class="pj-join big">'
                f"{_join_text(base, room.code)}{_join_qr(base, room.code)}</div>"
                f'<p class="pj-status waiting">{PHASE_TEXT[room.phase]}</p></div>')
    counts = (f'<p class="pj-count"><span class="n">{tally.replied}</span> '
              f'{"person has" if tally.replied == 1 else "people have"} replied</p>')
    side = ""
    if room.display is Display.WALL:
        side = wall_html(state.wall)
    elif room.display is Display.COMPARE:
        side = compare_html(state.compared, room.compare)
    elif room.display is Display.EXAMPLES:
        side = examples_side_html(exercise)
    paragraphs = "".join(f"<p>{esc(p)}</p>" for p in exercise.disclosure.split("\n") if p.strip())
    return (
        f'<div class="pj{" with-side" if side else ""}" data-revision="{room.revision}">'
        f'<header class="pj-top"><div class="pj-join">{_join_text(base, room.code)}</div>'
        f'<p class="pj-status {room.phase.value}">{PHASE_TEXT[room.phase]}</p>{counts}'
        f"{_join_qr(base, room.code)}</header>"
        f'<section class="pj-exercise" aria-labelledby="pj-exercise-h">'
        f'<h1 id="pj-exercise-h" class="pj-title">{esc(exercise.title)}</h1>'
        f'<blockquote class="pj-disclosure">{paragraphs}</blockquote></section>'
        f'<div class="pj-body{" with-side" if side else ""}"><section class="pj-chart">{chart_html(tally)}</section>'
        f"{side}</div></div>"
    )


def projector_message_html(text: str) -> str:
    return f'<div class="pj message-only"><p class="pj-message" role="alert">{esc(text)}</p></div>'


# --- the facilitator's page ----------------------------------------------------------------------------


def room_panel_html(room: Room, key: str, base: str) -> str:
    """The room's code, how participants join, the projector link and (folded away) the key."""
    url = join_url(base, room.code)
    return (
        f'<section class="fac-room" aria-labelledby="fac-room-h">'
        f'<div class="fac-room-text"><h2 id="fac-room-h">Room <span class="fac-code">{esc(room.code)}</span></h2>'
        f'<p>Participants open <a href="{esc(url)}" target="_blank" rel="noopener">{esc(_host(url))}</a> '
        f"on their phone or laptop (or scan the code), add a nickname if they like, and reply.</p>"
        f'<p><a class="fac-projector-link" href="{esc(projector_url(base, room.code, key))}" target="_blank" '
        f'rel="noopener">Open the projector view ↗</a> <span class="quiet">in a new window; press '
        f"<kbd>F</kbd> there for full screen.</span></p>"
        f'<details class="fac-key"><summary>Facilitator key (keep it private)</summary>'
        f"<p>The key opens this room's controls and its projector view. This page remembers it; to run the "
        f"room from another device, open this link there:</p>"
        f'<p><code class="fac-key-link">{esc(facilitator_url(base, room.code, key))}</code></p></details></div>'
        f'<div class="fac-qr">{qr_svg(url)}</div></section>'
    )


def now_html(room: Room, tally: Tally) -> str:
    """One line on where the room is: the exercise, replies open or closed, how many replied."""
    if room.exercise is None:
        return ('<p class="fac-now waiting" role="status">No exercise yet: choose one below and it goes on the '
                "projector with replies open.</p>")
    hidden = f", {tally.hidden} hidden" if tally.hidden else ""
    waiting = tally.replied - tally.scored
    reading = f", {waiting} being read" if waiting > 0 else ""
    return (f'<p class="fac-now {room.phase.value}" role="status"><strong>Exercise {room.round}: '
            f'{esc(room.exercise.title)}</strong> · {PHASE_TEXT[room.phase]} · '
            f'<span class="fac-count">{tally.replied} replied</span>{reading}{hidden} · '
            f"projector shows {esc(DISPLAY_NAMES[room.display].lower())}</p>")


def replies_html(room: Room, replies: Sequence[Submission]) -> str:
    """The facilitator's list of replies to the current exercise, each with its own hide / show button.
    Newest at the bottom, so rows never move under the pointer as replies arrive."""
    if room.exercise is None:
        return ""
    if not replies:
        return ('<section class="fac-replies" aria-labelledby="fac-replies-h"><h3 id="fac-replies-h">Replies</h3>'
                '<p class="quiet">No replies yet.</p></section>')
    items = []
    for s in replies:
        if s.status is Status.SCORED:
            found = ", ".join(BY_NAME[x].title for x in (*s.skills, *s.flags)) or "nothing the coach listens for"
            state = f"score {s.listening_score} · {found}"
        elif s.status is Status.FAILED:
            state = "could not be read"
        else:
            state = "being read…"
        action, word = ("show", "Show again") if s.hidden else ("hide", "Hide")
        items.append(
            f'<li class="fac-reply{" hidden-reply" if s.hidden else ""}" data-number="{s.number}">'
            f'<span class="fac-n">#{s.number}</span>'
            f'<span class="fac-reply-text"><q>{esc(s.reply)}</q>'
            f'<span class="fac-reply-state">{esc(state)}{" · hidden from the projector" if s.hidden else ""}</span>'
            f'</span><button type="button" class="fac-mod" data-action="{action}" data-number="{s.number}" '
            f'aria-label="{word} reply #{s.number}">{word}</button></li>')
    return (f'<section class="fac-replies" aria-labelledby="fac-replies-h">'
            f'<h3 id="fac-replies-h">Replies ({len(replies)})</h3>'
            '<p class="quiet">Numbers are what the projector shows; nicknames never appear there. '
            "A participant who tries again is counted once, with their latest reply.</p>"
            f'<ol class="fac-reply-list">{"".join(items)}</ol></section>')


# --- the participant's page -----------------------------------------------------------------------------


def seat_html(room: Room, nickname: str | None) -> str:
    who = f" · you joined as <strong>{esc(nickname)}</strong>" if nickname else ""
    return f'<p class="seat">Room <strong class="seat-code">{esc(room.code)}</strong>{who}</p>'


def participant_status_html(room: Room, waiting_for_score: bool = False) -> str:
    if room.exercise is None:
        text, kind = "Waiting for the facilitator to put up the first exercise. It appears here by itself.", "info"
    elif room.phase is Phase.OPEN:
        text, kind = "Replies are open: write what you would say back, then send it.", "info"
    else:
        text, kind = "Replies are closed for this exercise. The next one appears here by itself.", "info"
    if waiting_for_score:
        text = "Your reply is saved. The coach is still reading it; your feedback appears here in a moment."
    return render.message_html(text, kind)


# --- the facilitator's one-page summary ----------------------------------------------------------------

SUMMARY_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1c1917;
  max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { margin-bottom: 0.2rem; } .meta, .note, .quiet { color: #57534e; }
section.round { border-top: 2px solid #e7e5e4; margin-top: 1.5rem; padding-top: 0.5rem; }
blockquote { margin: 0.5rem 0; padding: 0.6rem 1rem; background: #eef6f5; border-radius: 8px; }
.room-chart { margin: 0.75rem 0; } .chart-h { font-size: 1.05rem; margin: 0.4rem 0; }
.chart-group-h { font-weight: 700; margin: 0.5rem 0 0.2rem; } .chart-group-h.skill { color: #17663a; }
.chart-group-h.barrier { color: #b42318; }
.chart-rows { list-style: none; padding: 0; margin: 0; }
.chart-row { display: grid; grid-template-columns: 14rem 1fr 3rem; gap: 0.6rem; align-items: center; margin: 0.2rem 0; }
.chart-bar { background: #f5f5f4; height: 1rem; border-radius: 3px; overflow: hidden; }
.chart-bar span { display: block; height: 100%; }
.skill .chart-bar span { background: #17663a; } .barrier .chart-bar span { background: #b42318; }
.chart-n { text-align: right; font-weight: 700; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media print { body { margin: 0; } section.round { break-inside: avoid; } }
"""


def summary_html(room: Room, rounds: Sequence[RoomExercise], tallies: dict[int, Tally],
                 participants: int) -> str:
    """A self-contained page (no scripts, no links out) summing the room up, exercise by exercise. It
    holds counts and the exercises' own example replies, never a participant's words or nickname."""
    started = room.created_at[:16].replace("T", " ")
    total = sum(t.replied for t in tallies.values())
    parts = []
    for exercise in rounds:
        tally = tallies.get(exercise.round)
        if tally is None:
            continue
        average = f"; average listening score {tally.average_score:.0f}" if tally.average_score is not None else ""
        skill = max(SKILLS, key=lambda label: tally.counts.get(label, 0))
        barrier = max(BARRIERS, key=lambda label: tally.counts.get(label, 0))
        lines = []
        if tally.counts.get(skill):
            lines.append(f"Most used skill: <strong>{esc(BY_NAME[skill].title)}</strong> "
                         f"({tally.counts[skill]} of {tally.counted}).")
        if tally.counts.get(barrier):
            lines.append(f"Most frequent barrier: <strong>{esc(BY_NAME[barrier].title)}</strong> "
                         f"({tally.counts[barrier]} of {tally.counted}).")
        examples = "".join(f"<li>{esc(e)}</li>" for e in exercise.examples)
        parts.append(
            f'<section class="round"><h2>Exercise {exercise.round}: {esc(exercise.title)}</h2>'
            f"<blockquote>{esc(exercise.disclosure)}</blockquote>"
            f"<p>{tally.replied} participant{'s' if tally.replied != 1 else ''} replied{average}.</p>"
            + (f"<p>{' '.join(lines)}</p>" if lines else "")
            + chart_html(tally, heading="h3")
            + (f"<h3>Example replies</h3><ol>{examples}</ol>" if examples else "")
            + "</section>"
        )
    body = "".join(parts) or '<p class="quiet">No exercise was run in this room.</p>'
    made = datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Workshop summary, room {esc(room.code)}</title><style>{SUMMARY_CSS}</style></head><body>"
        f"<h1>Workshop summary</h1>"
        f'<p class="meta">Room {esc(room.code)} · started {esc(started)} UTC · {participants} '
        f"participant{'s' if participants != 1 else ''} joined · {total} repl{'y' if total == 1 else 'ies'} "
        f"counted · made {esc(made)}</p>"
        f"{body}"
        '<p class="note">Counts use each participant\'s latest reply to an exercise; replies the facilitator '
        "hid are left out of the charts. Participants' replies are in the CSV download, not here.</p>"
        "</body></html>"
    )
