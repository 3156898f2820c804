"""Workshop mode driven through the app's API with gradio_client, as a script (or an attacker) would:
facilitator endpoints refuse calls without the room's key, rooms stay apart, participants see only their
own feedback, the projector never names anyone, and the downloads and deletion work."""

import csv

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

EXERCISE = "work-new-manager-old-team"
ADVICE = "You should just buy them a round on Friday."
GOOD = "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?"
NICKNAME = "Dana from accounts"

# Facilitator endpoints and their arguments after (code, key).
FACILITATOR_CALLS = [
    ("/open_room", ()), ("/start_exercise", (EXERCISE,)), ("/start_own_exercise", ("", "My dog died.")),
    ("/next_exercise", ()), ("/open_replies", ()), ("/close_replies", ()), ("/projector_shows", ("wall",)),
    ("/compare_replies", (1, 2)), ("/hide_reply", (1,)), ("/show_reply", (1,)), ("/download_results", ()),
    ("/download_summary", ()), ("/delete_room", ()),
]


@pytest.fixture(scope="module")
def url(launched_app):
    return launched_app[0]


def data(out):
    """The JSON output: the last one of every workshop endpoint."""
    return out[-1]


def new_room(url):
    facilitator = Client(url, verbose=False)
    room = data(facilitator.predict(api_name="/start_room"))
    facilitator.predict(room["code"], room["key"], EXERCISE, api_name="/start_exercise")
    return facilitator, room["code"], room["key"]


def join(url, code, nickname=""):
    participant = Client(url, verbose=False)
    seat = data(participant.predict(code, nickname, api_name="/join_room"))
    assert "error" not in seat, seat
    return participant, seat["token"]


def send(participant, code, token, reply, round=1):
    return data(participant.predict(code, token, round, reply, api_name="/send_reply"))


@pytest.mark.parametrize("key", ["", "not-the-key", "participant-token"])
def test_facilitator_endpoints_refuse_a_call_without_the_key(url, key):
    _, code, real_key = new_room(url)
    participant, token = join(url, code)
    send(participant, code, token, GOOD)
    caller = Client(url, verbose=False)
    wrong = token if key == "participant-token" else key
    for endpoint, args in FACILITATOR_CALLS:
        with pytest.raises(AppError) as refused:
            caller.predict(code, wrong, *args, api_name=endpoint)
        message = str(refused.value)
        assert f"room {code}" in message and "facilitator key" in message, (endpoint, message)
        assert "Traceback" not in message
    # the projector and the facilitator's live list say so in their data, and show nothing of the room
    for endpoint in ("/projector_open", "/room_replies"):
        args = (code, wrong) if endpoint == "/projector_open" else (code, wrong, -1)
        out = data(caller.predict(*args, api_name=endpoint))
        assert "facilitator key" in out["error"] and GOOD not in str(out)
    # nothing changed: the reply is still there, the room still open
    state = data(caller.predict(code, real_key, api_name="/projector_open"))
    assert state["phase"] == "open" and state["replied"] == 1 and state["hidden"] == 0


def test_a_room_over_the_api_from_start_to_delete(url, launched_app, tmp_path):
    facilitator, code, key = new_room(url)
    (alice, a_token), (bob, b_token) = join(url, code, NICKNAME), join(url, code)

    mine = send(alice, code, a_token, ADVICE)
    assert mine["submission"]["status"] == "scored" and "premature_advice" in mine["submission"]["labels"]
    theirs = send(bob, code, b_token, GOOD)
    assert "validation" in theirs["submission"]["labels"]
    # each participant sees their own reply only
    assert GOOD not in str(mine) and ADVICE not in str(theirs)
    again = data(alice.predict(code, a_token, "", api_name="/seat_refresh"))
    assert again["submission"]["number"] == 1 and GOOD not in str(again)

    projector = Client(url, verbose=False)
    state = data(projector.predict(code, key, api_name="/projector_open"))
    assert state["replied"] == 2 and state["counts"]["premature_advice"] == 1 and state["counts"]["validation"] >= 1
    facilitator.predict(code, key, "wall", api_name="/projector_shows")
    state = data(projector.predict(code, key, -1, api_name="/projector_refresh"))
    assert [w["number"] for w in state["wall"]] == [1, 2]
    assert NICKNAME not in str(state)
    html = projector.predict(code, key, -1, api_name="/projector_refresh")[0]
    assert NICKNAME not in html and "Jumping to advice" in html

    # moderation: hide #1, compare, show it again
    assert facilitator.predict(code, key, 1, api_name="/hide_reply") == {"number": 1, "hidden": True}
    state = data(projector.predict(code, key, -1, api_name="/projector_refresh"))
    assert [w["number"] for w in state["wall"]] == [2] and state["hidden"] == 1
    assert state["counts"]["premature_advice"] == 0  # hidden replies leave the chart too
    facilitator.predict(code, key, 1, api_name="/show_reply")
    room = data(facilitator.predict(code, key, 2, 1, api_name="/compare_replies"))
    assert room["display"] == "compare" and room["compare"] == [2, 1]

    # the wrong round, closed replies, bad input: one sentence each
    refused = send(alice, code, a_token, GOOD, round=7)
    assert refused["error"] == ("The facilitator has moved on to another exercise; read it above and reply to "
                                "that one.")
    facilitator.predict(code, key, api_name="/close_replies")
    assert send(bob, code, b_token, GOOD)["error"].startswith("Replies are closed")
    facilitator.predict(code, key, api_name="/open_replies")
    assert send(bob, code, b_token, "   ")["error"] == "The reply is empty."

    # the downloads
    path, _ = facilitator.predict(code, key, api_name="/download_results")
    path = path["value"] if isinstance(path, dict) else path
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert [r["reply"] for r in rows] == [ADVICE, GOOD] and rows[0]["nickname"] == NICKNAME
    summary, _ = facilitator.predict(code, key, api_name="/download_summary")
    summary = open(summary["value"] if isinstance(summary, dict) else summary, encoding="utf-8").read()
    assert summary.startswith("<!doctype html>") and "<script" not in summary
    assert NICKNAME not in summary and ADVICE not in summary and "2 participants replied" in summary

    # delete: the room, its participants and its replies go; the projector and participants are told
    out = facilitator.predict(code, key, api_name="/delete_room")
    assert data(out)["deleted"] == 2 and any(f"Room {code} and its 2 replies are deleted" in str(x) for x in out)
    assert "No room with code" in data(projector.predict(code, key, api_name="/projector_open"))["error"]
    assert launched_app[1] is not None
    ended = alice.predict(code, a_token, "", api_name="/seat_refresh")
    assert "This room has ended" in ended[0]


def test_rooms_are_kept_apart_over_the_api(url):
    _, code, key = new_room(url)
    _, other_code, other_key = new_room(url)
    participant, token = join(url, code)
    # a participant's token opens nothing in another room, and one room's key opens no other room
    out = send(participant, other_code, token, GOOD)
    assert out["error"] == f"This device has not joined room {other_code}; join with the code first."
    with pytest.raises(AppError, match="not the facilitator key"):
        Client(url, verbose=False).predict(other_code, key, api_name="/open_room")
    assert data(Client(url, verbose=False).predict(other_code, other_key, api_name="/projector_open"))["replied"] == 0


def test_a_wrong_code_gets_one_clear_sentence(url):
    out = Client(url, verbose=False).predict("zz99zz", "", api_name="/join_room")
    assert data(out)["error"] == "No room with code ZZ99ZZ — check the code on the projector."
    assert "No room with code ZZ99ZZ — check the code on the projector." in out[0]
    out = Client(url, verbose=False).predict("<script>alert(1)</script>", "", api_name="/join_room")
    assert "<script" not in out[0] and "<script" not in data(out)["error"]


def test_the_api_example_in_the_docs_runs(url):
    """The README's workshop example, run as written against the launched app."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    [code] = [block for block in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "/start_room" in block]
    namespace: dict = {}
    exec(code.replace("http://127.0.0.1:7860/", url), namespace)  # noqa: S102 - our own docs
    assert namespace["mine"]["submission"]["labels"] == ["premature_advice"]
    assert namespace["facilitator"].predict(namespace["room"]["code"], namespace["room"]["key"], -1,
                                            api_name="/projector_refresh")[-1]["replied"] == 1
