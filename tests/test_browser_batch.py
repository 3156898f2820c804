"""The Batch tab in real headless Chromium: upload, score, download links, bad rows listed, markup shown as text,
and an axe-core audit of the tab. Skipped where Debian's chromium or Playwright is missing."""

import csv
import re

import pytest
from test_browser import CHROMIUM, browser, page, playwright_api, settle  # noqa: F401 - fixtures

expect = playwright_api.expect
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run does)")
DISCLOSURE = "I'm so stressed about work, I feel like I'm failing."
MARKUP = '<img src=x onerror="window.__xss=1;alert(1)">'


def test_score_a_file_in_the_batch_tab(page, tmp_path):  # noqa: F811
    upload = tmp_path / "cohort.csv"
    with upload.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "reply", "disclosure"])
        writer.writerow(["a1", "You should talk to HR.", DISCLOSURE])
        writer.writerow(["a2", "", DISCLOSURE])
        writer.writerow([MARKUP, f"{MARKUP} That sounds so hard.", DISCLOSURE])

    page.click("#tab-batch-button")
    page.set_input_files("#batch-upload input[type=file]", str(upload))
    expect(page.locator("#batch-upload")).to_contain_text("cohort.csv")
    page.click("#batch-score")
    expect(page.locator("#batch-message")).to_contain_text("Scored 2 of 3 rows.")
    expect(page.locator("#batch-problems")).to_contain_text("Row 2: the reply is empty.")
    expect(page.locator("#batch-scored a")).to_have_attribute("href", re.compile(r"/cohort-scored\.csv$"))
    expect(page.locator("#batch-report a")).to_have_attribute("href", re.compile(r"/cohort-report\.html$"))
    assert page.evaluate("window.__xss") is None and page.dialogs == []
    assert page.outside == []

    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python is not installed")
    settle(page)
    result = axe_module.Axe().run(page, context={"exclude": [["footer"]]},
                                  options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a",
                                                                                 "wcag21aa"]}})
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result.response["violations"]] == []
