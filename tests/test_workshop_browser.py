"""Workshop mode end to end in headless Chromium: a facilitator, a projector and two participants, each in
a browser context of their own. Participants join with the code and get their own feedback; the projector
shows the count and the chart, then the wall; a hidden reply leaves it; nothing there names anyone; pages
without the key get no facilitator controls. Writes artifacts/projector.png."""

import re
from urllib.parse import urlparse

import pytest
from gradio_client import Client

from listening.labels import BY_NAME, LABELS

playwright_api = pytest.importorskip("playwright.sync_api", reason="Python Playwright is not installed")
expect = playwright_api.expect

from test_browser import ARTIFACTS, CHROMIUM, browser  # noqa: E402, F401 - the same browser, launched the same way

EXERCISE = "work-new-manager-old-team"
REPLIES = {
    "Sam": "You should just buy them a round on Friday.",
    "Alex": "That kitchen going quiet must have stung. What was the hardest part of talking to Marcus?",
}
MARKUP = '<img src=x onerror="window.__xss=1"> ${7*7} {{7*7}} Cheer up, it is not a big deal.'
# a few more replies for a fuller wall in the screenshot
MORE = [
    "Oh, that sounds really lonely. Of course it hurts when the people you used to laugh with go quiet.",
    "Honestly you need to toughen up, that's management.",
    "When I got promoted the same thing happened to me, it was awful for months.",
    "Three weeks in and already the tough talks. How are you holding up, really?",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run does)")


@pytest.fixture
def open_page(browser, launched_app):  # noqa: F811
    """A page in a fresh browser context (its own storage), recording requests that leave this machine."""
    url = launched_app[0].rstrip("/")
    host = urlparse(url).netloc
    contexts = []

    def make(path, width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.outside, page.dialogs = [], []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: page.outside.append(r.url)
                if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != host
                else None)
        page.goto(path if path.startswith("http") else url + path)
        return page

    yield make
    for context in contexts:
        context.close()


def settle(page):
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running' || "
                           "(a.effect && a.effect.getTiming().iterations === Infinity))")
    page.wait_for_timeout(150)


def start_room(open_page):
    facilitator = open_page("/workshop")
    facilitator.click("#fac-start")
    expect(facilitator.locator("#fac-room .fac-code")).to_be_visible()
    code = facilitator.inner_text("#fac-room .fac-code").strip()
    link = facilitator.get_attribute("#fac-room .fac-projector-link", "href")
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", code) and f"#room={code}&key=" in link
    return facilitator, code, link


def put_up(facilitator, library, exercise_id=EXERCISE):
    ex = library[exercise_id]
    facilitator.fill("#fac-exercise input", ex.title)
    facilitator.get_by_role("option", name=f"{ex.title} ({ex.relationship}, {ex.difficulty})").click()
    facilitator.click("#fac-put-up")
    expect(facilitator.locator("#fac-now")).to_contain_text(f"{ex.title}")


def join_and_reply(open_page, code, nickname, reply):
    phone = open_page(f"/room?code={code}", width=390, height=844)
    expect(phone.locator("#room-code-input input")).to_have_value(code)  # filled in from the QR link
    phone.fill("#room-nickname input", nickname)
    phone.click("#room-join-button")
    expect(phone.locator("#room-seat")).to_contain_text(f"you joined as {nickname}")
    phone.fill("#room-reply textarea", reply)
    phone.click("#room-send")
    expect(phone.locator("#room-score .n")).to_be_visible(timeout=30_000)
    return phone


def test_a_workshop_round_on_the_projector_and_two_phones(open_page, coach, library, launched_app):
    facilitator, code, link = start_room(open_page)
    put_up(facilitator, library)
    expect(facilitator.locator("#fac-now")).to_contain_text("Exercise 1")

    projector = open_page(link, width=1920, height=1080)
    expect(projector.locator("#projector-view .pj-disclosure")).to_contain_text(library[EXERCISE].disclosure[:40])
    expect(projector.locator("#projector-view .pj-code")).to_have_text(code)
    assert "key=" not in projector.url  # the key left the address bar
    expect(projector.locator("#projector-view .pj-qr svg")).to_have_count(1)
    expect(projector.locator("#projector-view .pj-count")).to_contain_text("0 people have replied")

    # two participants, each on a phone of their own, each with their own feedback
    phones = {}
    for nickname, reply in REPLIES.items():
        phones[nickname] = join_and_reply(open_page, code, nickname, reply)
        expected = coach.feedback(library[EXERCISE].disclosure, reply)
        expect(phones[nickname].locator("#room-score .n")).to_have_text(str(expected.listening_score))
        expect(phones[nickname].locator("#room-flags article.flag")).to_have_count(len(expected.flags))
        expect(phones[nickname].locator("#room-skills article.skill")).to_have_count(len(expected.skills))
    expect(phones["Sam"].locator("#room-page")).not_to_contain_text(REPLIES["Alex"])
    expect(phones["Alex"].locator("#room-page")).not_to_contain_text(REPLIES["Sam"])
    # a reload keeps each page where it was: the phone's seat and feedback, the projector's room
    phones["Alex"].reload()
    expect(phones["Alex"].locator("#room-seat")).to_contain_text("you joined as Alex")
    expect(phones["Alex"].locator("#room-score .n")).to_be_visible()
    projector.reload()
    expect(projector.locator("#projector-view .pj-code")).to_have_text(code)
    assert "key=" not in projector.url

    # the projector catches up by itself: the count and the chart
    expect(projector.locator("#projector-view .pj-count")).to_contain_text("2 people have replied", timeout=5_000)
    expected_counts = {label: 0 for label in LABELS}
    for reply in REPLIES.values():
        for label in coach.feedback(library[EXERCISE].disclosure, reply).labels:
            expected_counts[label] += 1
    expect(projector.locator("#projector-view .chart-h")).to_contain_text("2 replies", timeout=5_000)
    for label, count in expected_counts.items():
        expect(projector.locator(f'#projector-view .chart-row[data-label="{label}"] .chart-n')).to_have_text(
            re.compile(rf"^{count}\b"))

    # the wall: both replies, highlighted and numbered, no names
    facilitator.get_by_label("The wall of replies").check()
    expect(projector.locator("#projector-view .wall-card")).to_have_count(2, timeout=5_000)
    for reply in REPLIES.values():
        expect(projector.locator("#projector-view .wall")).to_contain_text(reply[:30])
    advice = BY_NAME["premature_advice"].title
    expect(projector.locator('#projector-view .wall-card[data-number="1"] mark')).to_contain_text(advice)
    for nickname in REPLIES:
        expect(projector.locator("#projector-view")).not_to_contain_text(nickname)

    # moderation: hide #1 from the facilitator's list; it leaves the wall (and the chart)
    expect(facilitator.locator("#fac-replies li")).to_have_count(2, timeout=5_000)
    facilitator.click('#fac-replies button[data-action="hide"][data-number="1"]')
    expect(facilitator.locator('#fac-replies button[data-action="show"][data-number="1"]')).to_be_visible()
    expect(projector.locator("#projector-view .wall-card")).to_have_count(1, timeout=5_000)
    expect(projector.locator("#projector-view .wall")).not_to_contain_text(REPLIES["Sam"])
    expect(projector.locator('#projector-view .chart-row[data-label="premature_advice"] .chart-n')).to_have_text(
        re.compile(r"^0"))
    expect(facilitator.locator("#fac-now")).to_contain_text("1 hidden")

    # more replies (over the API, as more phones would) for a fuller wall, then the screenshot
    url = launched_app[0]
    for reply in MORE:
        client = Client(url, verbose=False)
        token = client.predict(code, "", api_name="/join_room")[-1]["token"]
        client.predict(code, token, 1, reply, api_name="/send_reply")
    expect(projector.locator("#projector-view .pj-count")).to_contain_text("6 people have replied", timeout=5_000)
    expect(projector.locator("#projector-view .wall-card")).to_have_count(5, timeout=5_000)  # #1 is hidden
    ARTIFACTS.mkdir(exist_ok=True)
    settle(projector)
    projector.screenshot(path=str(ARTIFACTS / "projector.png"))
    assert (ARTIFACTS / "projector.png").stat().st_size > 30_000

    # markup in a reply is shown as text on the wall, never run
    phones["Sam"].fill("#room-reply textarea", MARKUP)
    phones["Sam"].click("#room-send")
    expect(phones["Sam"].locator("#room-score")).to_contain_text("attempt 2", timeout=30_000)
    expect(projector.locator("#projector-view .wall")).to_contain_text("${7*7} {{7*7}}", timeout=5_000)
    expect(projector.locator("#projector-view .wall-card")).to_have_count(6)  # Sam's latest reply counts
    assert projector.locator("#projector-view img").count() == 0
    assert projector.evaluate("window.__xss === undefined")

    # side by side, then the exercise's example replies
    facilitator.fill("#fac-compare-a input", "2")
    facilitator.fill("#fac-compare-b input", "#4")
    facilitator.click("#fac-compare")
    expect(projector.locator("#projector-view .compare .wall-card")).to_have_count(2, timeout=5_000)
    facilitator.get_by_label("The example replies").check()
    expect(projector.locator("#projector-view .examples li")).to_have_count(len(library[EXERCISE].examples),
                                                                           timeout=5_000)

    # closing replies and moving on reach the phones by themselves
    phone = phones["Alex"]
    facilitator.click("#fac-close-replies")
    expect(projector.locator("#projector-view .pj-status")).to_have_text("Replies closed", timeout=5_000)
    expect(phone.locator("#room-send")).to_be_disabled(timeout=8_000)
    expect(phone.locator("#room-status")).to_contain_text("Replies are closed")
    facilitator.click("#fac-next")
    old = library[EXERCISE].disclosure[:40]
    expect(projector.locator("#projector-view .pj-disclosure")).not_to_contain_text(old, timeout=5_000)
    expect(projector.locator("#projector-view .pj-count")).to_contain_text("0 people have replied")
    upcoming = projector.inner_text("#projector-view .pj-disclosure").strip()[:40]
    expect(phone.locator("#room-partner")).to_contain_text(upcoming, timeout=8_000)
    expect(phone.locator("#room-feedback")).to_be_hidden()
    expect(phone.locator("#room-reply textarea")).to_have_value("")
    expect(phone.locator("#room-send")).to_be_enabled()

    for page in (facilitator, projector, *phones.values()):
        assert page.outside == [], "a page reached outside this machine"
        assert page.dialogs == []


def test_without_the_key_there_are_no_facilitator_controls(open_page):
    facilitator, code, link = start_room(open_page)
    facilitator.click("#fac-put-up")
    expect(facilitator.locator("#fac-now")).to_contain_text("Exercise 1")
    facilitator.reload()  # the facilitator's browser keeps its room
    expect(facilitator.locator("#fac-room .fac-code")).to_have_text(code)
    # side by side before two replies are picked: one sentence, and the choice goes back
    facilitator.get_by_label("Two replies side by side").check()
    expect(facilitator.locator("#fac-message [role=alert]")).to_have_text("Pick two replies to compare first.")
    expect(facilitator.get_by_label("The chart only")).to_be_checked()

    # a participant's pages: the room page has no facilitator controls at all
    phone = open_page(f"/room?code={code}", width=390, height=844)
    phone.click("#room-join-button")
    expect(phone.locator("#room-reply textarea")).to_be_visible()
    for control in ("#fac-controls", "#fac-put-up", "#fac-replies", "#fac-delete", ".fac-mod"):
        assert phone.locator(control).count() == 0
    # the facilitator's page in the participant's browser: no room, no controls, until a key is given
    phone.goto(link.split("/projector")[0] + "/workshop")
    expect(phone.locator("#fac-start")).to_be_visible()
    expect(phone.locator("#fac-controls")).to_be_hidden()
    phone.get_by_text("Reopen a room you started").click()
    phone.fill("#fac-open-code input", code)
    phone.fill("#fac-open-key input", "a guess")
    phone.click("#fac-open")
    expect(phone.locator(".toast-body")).to_contain_text(f"That is not the facilitator key of room {code}.")
    expect(phone.locator("#fac-controls")).to_be_hidden()
    # the projector without the key shows one sentence and nothing of the room
    projector = open_page(f"/projector#room={code}")
    expect(projector.locator("#projector-view")).to_contain_text("needs the room's code and facilitator key")
    assert projector.locator("#projector-view .pj-disclosure").count() == 0
    projector = open_page(f"/projector#room={code}&key=wrong")
    expect(projector.locator("#projector-view")).to_contain_text(f"That is not the facilitator key of room {code}.")


def test_a_wrong_code_on_the_phone_is_one_sentence(open_page):
    phone = open_page("/room", width=390, height=844)
    phone.fill("#room-code-input input", "abcdef")
    phone.click("#room-join-button")
    expect(phone.locator("#room-message [role=alert]")).to_have_text(
        "No room with code ABCDEF — check the code on the projector.")
    expect(phone.locator("#room-page")).to_be_hidden()


def test_the_facilitator_and_participant_pages_pass_an_accessibility_audit(open_page, library):
    """axe-core (WCAG 2.1 A and AA, contrast included) on the facilitator's page with replies and a phone
    with feedback."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python is not installed")
    axe = axe_module.Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    context = {"exclude": [["footer"]]}
    facilitator, code, _ = start_room(open_page)
    put_up(facilitator, library)
    phone = join_and_reply(open_page, code, "Kim", REPLIES["Sam"])
    expect(facilitator.locator("#fac-replies li")).to_have_count(1, timeout=5_000)
    results = {}
    for name, page in (("facilitator", facilitator), ("participant", phone)):
        settle(page)
        results[name] = axe.run(page, context=context, options=options)
    problems = {view: [(v["id"], [n["target"] for n in v["nodes"]]) for v in r.response["violations"]]
                for view, r in results.items()}
    assert problems == {"facilitator": [], "participant": []}
