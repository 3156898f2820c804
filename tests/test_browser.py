"""End to end in real headless Chromium (Debian's chromium, driven by Python Playwright).

Pick an exercise, reply, submit with the keyboard, check the highlighted spans and the flags against what
the same coach says, retry and see the change, reveal examples, follow a flag to its practice, and check
that markup in a reply or a disclosure is shown as text. Writes artifacts/feedback.png.
"""

from pathlib import Path
from urllib.parse import urlparse

import pytest

from listening.ui import render

playwright_api = pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed")
expect = playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

EXERCISE = "work-new-manager-old-team"
FIRST = "Cheer up, it's not a big deal. When I got promoted the same thing happened to me."
SECOND = "Oh son, that kitchen going quiet must have stung. You should buy them a round on Friday."
MARKUP = '<img src=x onerror="window.__xss=1;alert(1)"> You should just quit.'

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run does)")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, launched_app):
    """A fresh browser profile (so a fresh learner) on the app, recording dialogs and off-machine requests."""
    url = launched_app[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.dialogs, pg.outside = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    host = urlparse(url).netloc
    pg.on("request", lambda r: pg.outside.append(r.url)
          if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != host else None)
    pg.goto(url)
    pg.wait_for_selector("#reply textarea")
    yield pg
    context.close()


def choose(page, library, exercise_id):
    ex = library[exercise_id]
    page.fill("#exercise input", ex.title)
    page.get_by_role("option", name=f"{ex.title} ({ex.relationship}, {ex.difficulty})").click()
    expect(page.locator("#partner")).to_contain_text(ex.disclosure[:40])


def wait_for_attempt(page, n):
    expect(page.locator("#score")).to_contain_text(f"attempt {n}")


def settle(page):
    """Wait for Gradio's fade-ins to finish (half-faded text fails contrast checks and blurs screenshots)."""
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running' || "
                           "(a.effect && a.effect.getTiming().iterations === Infinity))")
    page.wait_for_timeout(100)


def shown_highlights(page):
    """(text, label) for every labelled stretch the page shows."""
    return page.eval_on_selector_all(
        "#reply-highlight .token",
        "els => els.filter(e => e.querySelector('.label')).map(e => "
        "[e.querySelector('.text').textContent, e.querySelector('.label').textContent])",
    )


def expected_highlights(fb):
    return [[t, c] for t, c in render.segments(fb.reply, render.marks_of(fb)) if c]


def test_practise_retry_and_see_what_changed(page, coach, library):
    disclosure = library[EXERCISE].disclosure
    choose(page, library, EXERCISE)
    expected = coach.feedback(disclosure, FIRST)
    assert expected.flags, "precondition: the coach flags the first reply"

    # reply and send with the keyboard shortcut
    page.fill("#reply textarea", FIRST)
    page.press("#reply textarea", "Control+Enter")
    wait_for_attempt(page, 1)
    assert shown_highlights(page) == expected_highlights(expected)
    cards = page.locator("#flags article.flag")
    expect(cards).to_have_count(len(expected.flags))
    for i, flag in enumerate(expected.flags):
        card = cards.nth(i)
        expect(card).to_contain_text(render.flag_heading(flag))
        expect(card).to_contain_text(flag.why)
        expect(card).to_contain_text(flag.alternative)
        for practice in flag.practices:
            expect(card.locator(f'button[data-practice="{practice.number}"]')).to_have_count(1)
    expect(page.locator("#score .n")).to_have_text(str(expected.listening_score))
    expect(page.locator("#changes")).to_be_hidden()

    # try again, keyboard only: Tab from the reply box reaches the submit button
    second = coach.feedback(disclosure, SECOND)
    page.fill("#reply textarea", SECOND)
    page.focus("#reply textarea")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit-reply"
    page.keyboard.press("Enter")
    wait_for_attempt(page, 2)
    assert shown_highlights(page) == expected_highlights(second)
    changes = render.compare(render.attempt_summary(expected), second)
    box = page.locator("#changes")
    expect(box).to_be_visible()
    delta = changes.score_delta
    expect(box).to_contain_text(f"Score +{delta}" if delta > 0 else ("no change" if delta == 0 else f"−{-delta}"))
    if changes.flags_gone:
        expect(box).to_contain_text("Gone: " + ", ".join(map(render.label_title, changes.flags_gone)))
    if changes.skills_gained:
        expect(box).to_contain_text("New skill: " + ", ".join(map(render.label_title, changes.skills_gained)))
    if changes.flags_new:
        expect(box).to_contain_text("New this time: " + ", ".join(map(render.label_title, changes.flags_new)))
    # skills are named before flags
    if second.skills and second.flags:
        assert page.locator("#skills").bounding_box()["y"] < page.locator("#flags").bounding_box()["y"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    settle(page)
    page.screenshot(path=str(ARTIFACTS / "feedback.png"), full_page=True)
    assert (ARTIFACTS / "feedback.png").stat().st_size > 20_000

    # "try again" puts the learner back in the reply box
    page.click("#try-again")
    assert page.evaluate("document.activeElement === document.querySelector('#reply textarea')")

    # the examples open after an attempt
    page.click("#show-examples")
    expect(page.locator("#examples li")).to_have_count(len(library[EXERCISE].examples))
    expect(page.locator("#examples")).to_contain_text(library[EXERCISE].examples[0])

    # a flag's practice, by keyboard: the practices page opens with focus on that practice
    if second.flags:
        number = second.flags[0].practices[0].number
        page.locator(f'#flags button[data-practice="{number}"]').first.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#tab-practices-button")).to_have_attribute("aria-selected", "true")
        page.wait_for_function(f"document.activeElement && document.activeElement.id === 'practice-{number}'")
    assert page.outside == [], "the app reached outside this machine"


def test_markup_in_a_reply_or_disclosure_is_shown_as_text(page, library):
    page.fill("#reply textarea", MARKUP)
    page.click("#submit-reply")
    wait_for_attempt(page, 1)
    expect(page.locator("#reply-highlight")).to_contain_text('<img src=x onerror="window.__xss=1;alert(1)">')
    assert page.locator("#feedback img").count() == 0

    page.get_by_text("Or practise on a conversation of your own").click()
    page.fill("#own-disclosure textarea", '<img src=x onerror="window.__xss=2"><b>Dad</b> never listens.')
    page.click("#use-own")
    expect(page.locator("#partner")).to_contain_text('<img src=x onerror="window.__xss=2"><b>Dad</b> never listens.')
    assert page.locator("#partner img, #partner b").count() == 0

    page.click("#tab-history-button")
    expect(page.locator("#attempts")).to_contain_text("<img src=x onerror=")
    assert page.locator("#attempts img").count() == 0
    assert page.evaluate("window.__xss === undefined") and page.dialogs == []
    assert page.outside == []


def test_bad_input_gives_one_clear_message(page):
    page.click("#submit-reply")
    expect(page.locator("#message [role=alert]")).to_have_text("The reply is empty.")
    expect(page.locator("#feedback")).to_be_hidden()
    page.fill("#reply textarea", "x" * 20_000)
    page.click("#submit-reply")
    expect(page.locator("#message [role=alert]")).to_have_text(
        "The reply is 20,000 characters long; the limit is 5,000.")
    page.fill("#reply textarea", "That sounds hard. What happened?")
    page.click("#submit-reply")
    wait_for_attempt(page, 1)
    expect(page.locator("#message")).to_be_empty()


def test_history_export_and_delete(page, tmp_path):
    page.fill("#reply textarea", "Have you tried just talking to them?")
    page.click("#submit-reply")
    wait_for_attempt(page, 1)
    page.click("#tab-history-button")
    expect(page.locator("#overview")).to_contain_text("1 attempt so far")
    expect(page.locator("#attempts")).to_contain_text("Have you tried just talking to them?")
    expect(page.locator("#charts")).to_be_hidden()  # charts start at the second attempt

    needs = page.locator("#needs button[data-practice]")
    if needs.count():  # a practice that needs work opens in the practices view
        number = needs.first.get_attribute("data-practice")
        needs.first.click()
        page.wait_for_function(f"document.activeElement && document.activeElement.id === 'practice-{number}'")
        page.click("#tab-history-button")

    page.click("#export-history")
    link = page.locator("#export-file a").first
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "history.csv"
    download.value.save_as(saved)
    assert "Have you tried just talking to them?" in saved.read_text(encoding="utf-8")

    page.click("#delete-history")
    page.click("#confirm-delete-yes")
    expect(page.locator("#history-message")).to_contain_text("Deleted 1 attempt")
    expect(page.locator("#attempts")).not_to_contain_text("Have you tried")



def test_accessibility_audit_finds_no_wcag_aa_violations(page):
    """axe-core (WCAG 2.1 A and AA rules, contrast included) on the feedback, history and practices views."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python is not installed")
    axe = axe_module.Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    context = {"exclude": [["footer"]]}  # Gradio's own footer links are not part of this app
    page.fill("#reply textarea", FIRST)
    page.click("#submit-reply")
    wait_for_attempt(page, 1)
    page.fill("#reply textarea", SECOND)
    page.click("#submit-reply")
    wait_for_attempt(page, 2)
    page.click("#show-examples")
    expect(page.locator("#examples li").first).to_be_visible()
    settle(page)
    results = {"practise": axe.run(page, context=context, options=options)}
    page.click("#tab-history-button")
    expect(page.locator("#charts")).to_be_visible()
    settle(page)
    results["history"] = axe.run(page, context=context, options=options)
    page.click("#tab-practices-button")
    expect(page.locator("#practice-1")).to_be_visible()
    settle(page)
    results["practices"] = axe.run(page, context=context, options=options)
    problems = {view: [(v["id"], [n["target"] for n in v["nodes"]]) for v in r.response["violations"]]
                for view, r in results.items()}
    assert problems == {"practise": [], "history": [], "practices": []}
