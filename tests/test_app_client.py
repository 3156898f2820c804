"""A gradio_client round trip against the launched app: every action has a named API endpoint."""

import csv
import time

import pytest
from gradio_client import Client

from listening.ui.workshop import ENDPOINTS as WORKSHOP_ENDPOINTS

EXERCISE = "work-new-manager-old-team"
ADVICE = "You should just buy them a round on Friday."
GOOD = "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?"
PUBLIC = {"/start", "/filter_exercises", "/choose_exercise", "/random_exercise", "/use_own_disclosure", "/score_file",
          "/review_reply", "/reveal_examples", "/history", "/set_saving", "/export_history", "/delete_history"}


@pytest.fixture(scope="module")
def url(launched_app):
    return launched_app[0]


@pytest.fixture
def client(url):
    return Client(url, verbose=False)


def value(update):
    return update["value"] if isinstance(update, dict) and "value" in update else update


def review(client, reply, learner, save=True):
    """The named outputs of /review_reply (layouts, buttons and gr.State are not part of the API)."""
    out = client.predict(reply, learner, save, api_name="/review_reply")
    names = ["message", "score", "changes", "highlight", "skills", "flags", "examples", "data", "learner"]
    assert len(out) == len(names)
    return dict(zip(names, out, strict=True))


def test_every_action_is_a_named_endpoint(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert set(api["named_endpoints"]) == PUBLIC | WORKSHOP_ENDPOINTS  # workshop mode: tests/test_workshop_client.py
    assert api["unnamed_endpoints"] == {}
    params = [p["parameter_name"] for p in api["named_endpoints"]["/review_reply"]["parameters"]]
    assert params == ["reply", "learner", "save"]


def test_practise_retry_and_compare_over_the_api(client):
    learner, save, _ = client.predict(None, None, api_name="/start")
    assert save is True and len(learner) == 36
    chosen = client.predict(EXERCISE, api_name="/choose_exercise")
    assert value(chosen[0]) == EXERCISE and "Marcus" in chosen[1]

    started = time.perf_counter()
    first = review(client, ADVICE, learner)
    took = time.perf_counter() - started
    data = first["data"]
    assert data["attempt"] == 1 and data["saved"] is True and data["changes"] is None
    assert "premature_advice" in data["feedback"]["labels"]
    pieces = value(first["highlight"])
    assert "".join(p["token"] for p in pieces) == ADVICE
    assert any(p["class_or_confidence"] for p in pieces)
    assert 'data-practice="2"' in first["flags"]
    assert first["learner"] == learner
    assert took < 10, f"one review took {took:.1f}s over the API"

    second = review(client, GOOD, learner)
    changes = second["data"]["changes"]
    assert second["data"]["attempt"] == 2
    assert "premature_advice" in changes["flags_gone"] and changes["score_delta"] > 0
    assert "Gone: Jumping to advice" in value(second["changes"])

    examples = client.predict(api_name="/reveal_examples")
    assert "Example replies" in value(examples[0])


def test_bad_input_over_the_api_is_one_message(client):
    client.predict(EXERCISE, api_name="/choose_exercise")
    for reply, words in (("", "The reply is empty."), ("x" * 20_000, "the limit is 5,000")):
        out = review(client, reply, "api-learner-bad-input")
        assert words in out["message"] and out["data"]["error"]
    own = client.predict("<img src=x onerror=alert(1)>I can't cope with Mum.", api_name="/use_own_disclosure")
    assert "&lt;img src=x onerror=alert(1)&gt;" in own[1] and "<img" not in own[1]
    out = review(client, "<img src=x onerror=alert(1)> You should just quit.", "api-learner-bad-input")
    assert "<img" not in out["flags"] and "&lt;img" in out["flags"]


def test_history_export_and_delete_keep_learners_apart(url, launched_app):
    alice, bob = Client(url, verbose=False), Client(url, verbose=False)
    a_id = alice.predict(None, None, api_name="/start")[0]
    b_id = bob.predict(None, None, api_name="/start")[0]
    for c, who, reply in ((alice, a_id, ADVICE), (alice, a_id, GOOD), (bob, b_id, GOOD)):
        c.predict(EXERCISE, api_name="/choose_exercise")
        review(c, reply, who)
    not_saved = review(bob, ADVICE, b_id, save=False)
    assert not_saved["data"]["saved"] is False

    a_hist = alice.predict(a_id, True, api_name="/history")
    b_hist = bob.predict(b_id, True, api_name="/history")
    assert len(a_hist) == 7  # overview, needs, three charts, the table, a note
    a_table, b_table = a_hist[5], b_hist[5]
    a_replies = [row[3] for row in a_table["data"]]
    assert a_replies == [GOOD, ADVICE]
    assert [row[3] for row in b_table["data"]] == [GOOD]
    assert "Practice 2" in a_hist[1]

    exported, note = alice.predict(a_id, api_name="/export_history")
    rows = list(csv.DictReader(open(value(exported), encoding="utf-8")))
    assert [r["reply"] for r in rows] == [ADVICE, GOOD] and "2 attempts" in note

    out = alice.predict(a_id, True, api_name="/delete_history")
    assert "Deleted 2 attempts" in out[6] and out[5]["data"] == []
    store = launched_app[1]
    assert store.attempts(a_id) == [] and len(store.attempts(b_id)) == 1


def test_app_py_parses_its_options(tmp_path):
    import app

    defaults = app.parse_args([])
    assert (defaults.host, defaults.port, defaults.no_store) == ("127.0.0.1", 7860, False)
    args = app.parse_args(["--host", "0.0.0.0", "--port", "9000", "--db", str(tmp_path / "x.db"), "--no-store"])
    assert (args.host, args.port, args.db, args.no_store) == ("0.0.0.0", 9000, tmp_path / "x.db", True)


def test_app_py_refuses_an_unusable_database_with_one_line(tmp_path, capsys):
    import app

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert app.main(["--db", str(blocker / "attempts.db")]) == 2
    assert capsys.readouterr().err.startswith("app.py: cannot use the history database:")


def test_the_api_example_in_the_docs_runs(url):
    """The README's gradio_client example, run as written against the launched app."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    [code] = [block for block in re.findall(r"```python\n(.*?)```", text, flags=re.S)
              if "gradio_client" in block and "/review_reply" in block]
    namespace: dict = {}
    exec(code.replace("http://127.0.0.1:7860/", url), namespace)  # noqa: S102 - our own docs
    data = namespace["data"]
    assert "premature_advice" in data["feedback"]["labels"] and data["changes"] is None
