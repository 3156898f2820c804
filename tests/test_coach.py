"""Behaviour of the trained engine: direction and thresholds, never exact floats."""

import pytest

from listening import LABELS, InputError

STRESSED = "I'm so stressed about work. My manager keeps piling things on and I feel like I'm failing."
ASKS = ("I'm so stressed about work and I honestly don't know what to do. "
        "Should I talk to my manager or just keep my head down? What would you do?")
IMPLICATES = ("You said you'd be home by seven and you didn't even text me. "
              "I sat there with dinner going cold and felt like an idiot.")
STRANGER = "My coworker said she'd be at the meeting and never showed up. I had to present alone and it was awful."


def spans_of(feedback, label):
    found = [f for f in (*feedback.flags, *feedback.skills) if f.label == label]
    assert found, f"{label} not found in {feedback.labels}"
    return [s.text for s in found[0].spans]


@pytest.mark.parametrize("disclosure, reply, label, words", [
    (STRESSED, "You should talk to HR about it tomorrow.", "premature_advice", "talk to HR"),
    (STRESSED, "Honestly you bring this on yourself, you never say no to anyone.", "judgment", "bring this on yourself"),
    (IMPLICATES, "I was stuck at work, what was I supposed to do? It's not my fault.", "defensiveness", "fault"),
    (STRESSED, "At least you have a job, plenty of people would kill for it.", "minimizing", "At least"),
    (STRESSED, "Ugh that reminds me of my last job, my boss was a nightmare and I used to cry in the car every day.",
     "self_focus", "my boss"),
    (STRESSED, "That sounds exhausting, no wonder you're worn out.", "validation", "exhausting"),
    (STRESSED, "So it's not just the workload, it's that it's making you feel like you're failing.",
     "reflection", "making you feel"),
    (STRESSED, "What's been the hardest part of it for you?", "open_question", "hardest part"),
])
def test_clear_cases_are_found_on_the_right_words(coach, disclosure, reply, label, words):
    feedback = coach.feedback(disclosure, reply)
    assert label in feedback.labels
    assert feedback.scores[label] >= 0.5
    assert any(words in span for span in spans_of(feedback, label))


def test_each_label_of_a_mixed_reply_points_at_its_own_sentence(coach):
    reply = ("That sounds really hard, I'm sorry. You should just go to HR tomorrow and tell them everything. "
             "What's been weighing on you most?")
    feedback = coach.feedback(STRESSED, reply)
    assert {"validation", "premature_advice", "open_question"} <= set(feedback.labels)
    advice = spans_of(feedback, "premature_advice")
    assert any("go to HR" in s for s in advice)
    assert all("sorry" not in s and "weighing" not in s for s in advice)
    question = spans_of(feedback, "open_question")
    assert any("weighing on you" in s for s in question) and all("HR" not in s for s in question)
    for item in (*feedback.flags, *feedback.skills):
        for span in item.spans:
            assert reply[span.start:span.end] == span.text


def test_advice_after_acknowledgment_is_fine_when_asked_for_and_premature_when_not(coach):
    reply = "That's a really tough spot, and it makes sense you're torn. Maybe talk to your manager about the workload?"
    assert coach.feedback(ASKS, reply).scores["premature_advice"] < coach.feedback(STRESSED, reply).scores["premature_advice"]
    assert "premature_advice" in coach.feedback(STRESSED, reply).labels
    assert "premature_advice" not in coach.feedback(ASKS, reply).labels


def test_advice_as_the_listeners_own_choice_flips_with_the_context_too(coach):
    reply = "That sounds so stressful, I'm sorry. If it were me, I'd talk to my manager about the workload."
    assert "premature_advice" in coach.feedback(STRESSED, reply).labels
    assert "premature_advice" not in coach.feedback(ASKS, reply).labels


def test_asked_for_advice_is_still_premature_without_an_acknowledgment_first(coach):
    for reply in ("Maybe talk to your manager about the workload?",
                  "Talk to your manager. That sounds really hard though."):  # acknowledged only after
        assert "premature_advice" in coach.feedback(ASKS, reply).labels, reply


def test_defensiveness_needs_the_listener_to_be_implicated(coach):
    reply = "Well I was busy, I can't be everywhere at once."
    implicated = coach.feedback(IMPLICATES, reply)
    bystander = coach.feedback(STRANGER, reply)
    assert "defensiveness" in implicated.labels
    assert "defensiveness" not in bystander.labels
    assert implicated.scores["defensiveness"] > bystander.scores["defensiveness"] + 0.3


def test_a_good_listening_reply_has_no_flags(coach):
    feedback = coach.feedback(STRESSED, "Oh love, that sounds like so much. It makes sense you feel that way. "
                                        "What's been the hardest part?")
    assert not feedback.flags
    assert feedback.skills
    assert feedback.listening_score > coach.feedback(STRESSED, "Just quit then.").listening_score


def test_flags_carry_practices_why_and_an_alternative_for_this_reply(coach):
    feedback = coach.feedback(STRESSED, "You should just quit, honestly.")
    flag = next(f for f in feedback.flags if f.label == "premature_advice")
    assert [p.number for p in flag.practices] == [2, 4]
    assert flag.why and flag.alternative and flag.spans
    assert flag.spans[0].text in flag.alternative
    assert "failing" in flag.alternative  # built from the disclosure, not a fixed sentence
    assert flag.confidence in ("likely", "possible")


def test_scores_cover_every_label_and_labels_follow_thresholds(coach):
    feedback = coach.feedback(STRESSED, "hmm ok")
    assert set(feedback.scores) == set(LABELS)
    assert all(0.0 <= s <= 1.0 for s in feedback.scores.values())
    for j, label in enumerate(LABELS):
        assert (label in feedback.labels) == (feedback.scores[label] >= coach.model.thresholds[j])


def test_batched_feedback_equals_one_at_a_time(coach):
    pairs = [(STRESSED, "You should talk to HR."), (IMPLICATES, "I'm sorry, you're right. That must have felt awful."),
             (STRANGER, "What happened when you got up to present?")]
    batched = coach.feedback_many(pairs)
    for pair, result in zip(pairs, batched):
        single = coach.feedback(*pair)
        assert single.labels == result.labels
        assert all(abs(single.scores[l] - result.scores[l]) < 1e-3 for l in LABELS)


@pytest.mark.parametrize("reply, words", [("", "empty"), ("   ", "empty"), ("x" * 6000, "limit")])
def test_unusable_replies_get_one_clear_sentence(coach, reply, words):
    with pytest.raises(InputError, match=words):
        coach.feedback(STRESSED, reply)


def test_markup_is_just_text(coach):
    reply = "<img src=x onerror=alert(1)> that sounds hard"
    feedback = coach.feedback(STRESSED, reply)
    for item in (*feedback.flags, *feedback.skills):
        for span in item.spans:
            assert reply[span.start:span.end] == span.text


def test_the_exercises_example_replies_mostly_pass_without_a_flag(coach, library):
    """The library's model answers were never trained on: a coach that flags them is miscalibrated."""
    pairs = [(e.disclosure, reply) for e in library.values() for reply in e.examples]
    results = coach.feedback_many(pairs)
    clean = sum(not f.flags for f in results)
    assert clean / len(results) >= 0.8
    assert sum(bool(f.skills) for f in results) / len(results) >= 0.9


def test_the_readme_python_example_runs_and_says_what_it_shows(capsys):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    [code] = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "Coach.load()" in b]
    exec(code, {})  # noqa: S102 - our own docs
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "['premature_advice', 'validation']"
    assert "You should talk to HR though" in printed[2]


def test_a_complaint_made_in_passing_still_implicates_the_listener(coach):
    disclosure = ("Work was awful, the train was cancelled, and then I got home and the bins were still out, "
                  "even though you said this morning you'd do them.")
    assert "defensiveness" in coach.feedback(disclosure, "I was going to! I've had a mad day too, you know.").labels


def test_you_without_blame_does_not_implicate_the_listener(coach):
    disclosure = ("You know that feeling when the week just won't end? My boss moved all three deadlines up "
                  "and now copies the director into every email.")
    assert "defensiveness" not in coach.feedback(disclosure, "Well I was busy, I can't be everywhere at once.").labels
