"""Look and feel: a calm theme with system fonts (nothing fetched from the web), the page CSS, and the
small scripts (Ctrl+Enter to submit; moving focus to a practice). Passed to ``launch()`` in Gradio 6.
"""

from __future__ import annotations

import gradio as gr

from listening.ui.workshop_theme import CSS as WORKSHOP_CSS

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def make_theme() -> gr.themes.Base:
    theme = gr.themes.Base(
        primary_hue=gr.themes.colors.teal,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.stone,
        radius_size=gr.themes.sizes.radius_md,
        text_size=gr.themes.sizes.text_lg,
        font=SYSTEM_FONTS,
        font_mono=MONO_FONTS,
    )
    # Teal 700/800 under white text: contrast 5.5:1 and 7.6:1 (AA).
    return theme.set(
        body_background_fill="#faf8f5",
        body_text_color="#1c1917",
        body_text_color_subdued="#57534e",
        block_label_text_color="#44403c",
        block_title_text_color="#292524",
        button_primary_background_fill="#0f766e",
        button_primary_background_fill_hover="#115e59",
        button_primary_text_color="#ffffff",
        button_secondary_background_fill="#ffffff",
        button_secondary_background_fill_hover="#f0fdfa",
        button_secondary_text_color="#134e4a",
        button_secondary_border_color="#0f766e",
        input_background_fill="#ffffff",
        block_background_fill="#ffffff",
        link_text_color="#0f766e",
        color_accent="#0f766e",
        input_placeholder_color="#78716c",
        checkbox_background_color_selected="#0f766e",
    )


CSS = """
.gradio-container { max-width: 1040px !important; margin: 0 auto !important; }
#main-tabs button[role="tab"].selected { color: #0f766e; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.quiet { color: var(--body-text-color-subdued); }
#app-header h1 { font-size: 2rem; margin: 0.2em 0 0.1em; letter-spacing: -0.01em; }
#app-header p { margin: 0; color: var(--body-text-color-subdued); font-size: 1.05rem; }

/* the partner's message */
.partner { margin: 0.25rem 0 0.5rem; }
.partner-who { font-size: 1rem !important; font-weight: 600; margin: 0 0 0.4rem !important;
  color: var(--body-text-color-subdued); }
.partner-title { font-size: 1.2rem; font-weight: 700; margin: 0 0 0.15rem; color: #1c1917; }
.bubble { background: #eef6f5; border: 1px solid #b7dcd8; border-radius: 4px 18px 18px 18px;
  padding: 1rem 1.25rem; font-size: 1.3rem; line-height: 1.6; color: #1c1917; max-width: 48rem; }
.bubble p { margin: 0 0 0.6em; } .bubble p:last-child { margin-bottom: 0; }
.partner-meta { font-size: 0.85rem; font-weight: 500; color: #57534e; text-transform: uppercase;
  letter-spacing: 0.05em; margin-left: 0.5rem; }
.dark .partner-title { color: #f5f5f4; } .dark .partner-meta { color: #d6d3d1; }
#reply textarea { font-size: 1.15rem; line-height: 1.55; }
#shortcut-hint { font-size: 0.95rem; color: var(--body-text-color-subdued); }
#shortcut-hint kbd { border: 1px solid #a8a29e; border-bottom-width: 2px; border-radius: 4px;
  padding: 0 0.3em; font-size: 0.85em; background: #fff; color: #1c1917; }

#submit-row { flex-wrap: wrap; align-items: center; }
@media (max-width: 640px) {
  #shortcut-hint { display: none; }
  .score { flex-wrap: wrap; gap: 0.5rem; }
  .bubble { font-size: 1.15rem; }
}

/* one-sentence messages */
.message { border-radius: 8px; padding: 0.6rem 0.9rem; font-size: 1.05rem; margin: 0.25rem 0; }
.message.error { background: #fef3f2; border: 1px solid #b42318; color: #7a271a; }
.message.error::before { content: "⚠ "; }
.message.info { background: #f5f5f4; border: 1px solid #d6d3d1; color: #292524; }

/* score */
.score { display: flex; gap: 1.25rem; align-items: center; padding: 0.9rem 1.1rem; border-radius: 12px;
  background: #ffffff; border: 1px solid #e7e5e4; }
.score-number { display: flex; align-items: baseline; gap: 0.25rem; min-width: 6.5rem; }
.score-number .n { font-size: 3rem; font-weight: 700; line-height: 1; }
.score.high .n { color: #17663a; } .score.mid .n { color: #8a4b00; } .score.low .n { color: #b42318; }
.score-number .of { color: #57534e; font-size: 1.1rem; }
.score-text { flex: 1; min-width: 14rem; }
.score-label { margin: 0; font-size: 0.9rem; text-transform: uppercase; letter-spacing: 0.04em; color: #57534e; }
.summary { margin: 0.2rem 0 0.5rem; font-size: 1.15rem; font-weight: 500; color: #1c1917; }
.bar { height: 8px; border-radius: 4px; background: #e7e5e4; overflow: hidden; }
.bar span { display: block; height: 100%; background: #0f766e; }
.saved { margin: 0.4rem 0 0; font-size: 0.9rem; }

/* changes since last try */
.changes { border-left: 4px solid #0f766e; padding: 0.2rem 0 0.2rem 1rem; margin: 0.25rem 0; }
.changes h3 { margin: 0 0 0.25rem !important; font-size: 1.1rem !important; }
.changes ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; }
.changes li.good { color: #17663a; } .changes li.bad { color: #b42318; }
.changes .sym { font-weight: 700; }

/* the highlighted reply: flows like prose (Gradio lays tokens out as unbreakable boxes) */
#reply-highlight .textfield { display: block; font-size: 1.15rem; line-height: 2.2; word-break: normal;
  overflow-wrap: anywhere; }
#reply-highlight .token-container { display: inline; }
#reply-highlight .token { display: inline; color: #1c1917 !important; -webkit-box-decoration-break: clone;
  box-decoration-break: clone; }
#reply-highlight .token.highlighted { margin: 0 0.1rem; padding: 0.2rem 0.25rem; }
#reply-highlight .line-break { display: block; height: 0; }
#reply-highlight .label { font-size: 0.72rem !important; letter-spacing: 0.02em; }

/* cards */
.cards h3 { font-size: 1.25rem !important; margin: 0.6rem 0 0.5rem !important; }
.card { background: #ffffff; border: 1px solid #e7e5e4; border-left-width: 6px; border-radius: 10px;
  padding: 0.8rem 1.1rem; margin: 0 0 0.75rem; }
.card.flag.likely { border-left-color: #b42318; } .card.flag.possible { border-left-color: #8a4b00;
  border-left-style: dashed; }
.card.skill { border-left-color: #17663a; }
.card h4 { margin: 0 0 0.4rem !important; font-size: 1.12rem !important; color: #1c1917; }
.card .kind { display: inline-block; font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.05em;
  padding: 1px 7px; border-radius: 4px; margin-right: 0.35rem; vertical-align: 2px; color: #fff; }
.card.flag .kind { background: #b42318; } .card.flag.possible .kind { background: #8a4b00; }
.card.skill .kind { background: #17663a; }
.confidence { font-size: 0.85rem; font-weight: 500; margin-left: 0.3rem; color: #57534e; }
.confidence.possible { font-style: italic; }
.card p { margin: 0.35rem 0; line-height: 1.5; color: #292524; }
.evidence { list-style: none; margin: 0.2rem 0 0.4rem; padding: 0; }
.evidence li { margin: 0.15rem 0; } .evidence q { background: #f5f5f4; padding: 1px 6px; border-radius: 4px;
  color: #1c1917; }
.practice-link { background: none; border: 1px solid #0f766e; color: #134e4a; border-radius: 999px;
  padding: 0.2rem 0.75rem; margin: 0.2rem 0.4rem 0 0; font-size: 0.95rem; cursor: pointer; }
.practice-link:hover { background: #f0fdfa; }
.practice-link:focus-visible, .card:focus-visible, .practice:focus-visible {
  outline: 3px solid #1d4ed8; outline-offset: 2px; }

/* examples */
.examples ol { padding-left: 1.3rem; } .examples li { margin: 0.4rem 0; line-height: 1.5; }

/* practices view */
.practices-view { max-width: 50rem; }
.practice { background: #ffffff; border: 1px solid #e7e5e4; border-radius: 12px; padding: 1rem 1.3rem;
  margin: 0 0 1rem; scroll-margin-top: 1rem; }
.practice.brief { padding: 0.7rem 1.3rem; }
.practice h3 { margin: 0 0 0.4rem !important; font-size: 1.3rem !important; }
.practice .num { display: inline-flex; width: 1.8rem; height: 1.8rem; border-radius: 50%; background: #0f766e;
  color: #fff; align-items: center; justify-content: center; font-size: 1rem; margin-right: 0.3rem; }
.practice h4 { margin: 0.8rem 0 0.2rem !important; font-size: 1.05rem !important; }
.practice .lead, .practices-view > .lead { font-size: 1.1rem; }
.practice.flash { box-shadow: 0 0 0 3px #0f766e; }
.sounds q { font-style: italic; }

/* history */
#attempts table, #attempts td, #attempts th, #attempts span, #attempts input {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif !important; font-size: 0.95rem; }
.overview p { font-size: 1.1rem; }
.needs ul { padding-left: 1.1rem; } .needs li { margin: 0.35rem 0; }

/* dark mode: keep our own panels readable */
.dark .bubble, .dark .card, .dark .score, .dark .practice { background: #1c1917; color: #f5f5f4;
  border-color: #44403c; }
.dark .card h4, .dark .card p, .dark .summary, .dark .evidence q { color: #f5f5f4; }
.dark .evidence q { background: #292524; }
.dark #reply-highlight .token { color: #ffffff !important; }
.dark .practice-link { color: #99f6e4; border-color: #5eead4; }
.dark .message.info { background: #292524; color: #f5f5f4; border-color: #57534e; }
.dark .message.error { background: #450a0a; color: #fecaca; }
"""

# Ctrl+Enter (or Cmd+Enter) in the reply box sends it; Shift+Enter already does, through Gradio.
HEAD = """
<script>
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  if (!event.target.closest || !event.target.closest("#reply")) return;
  event.preventDefault();
  var button = document.querySelector("#submit-reply");
  if (button) button.click();
});
</script>
"""

# For gr.HTML fragments holding practice buttons: open the practices tab (through the server event),
# then move focus and scroll to that practice once the tab shows it.
PRACTICE_LINKS_JS = """
element.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-practice]");
  if (!button) return;
  var number = Number(button.dataset.practice);
  trigger("click", {practice: number});
  var tries = 0;
  var timer = setInterval(function () {
    var target = document.getElementById("practice-" + number);
    tries += 1;
    if (target && target.offsetParent !== null) {
      clearInterval(timer);
      target.scrollIntoView({block: "start"});
      target.focus({preventScroll: true});
      target.classList.add("flash");
      setTimeout(function () { target.classList.remove("flash"); }, 1500);
    } else if (tries > 60) {
      clearInterval(timer);
    }
  }, 50);
});
"""

# On page load, in the browser: keep this browser's learner id, or make a random (v4 UUID) one. Done in the
# page rather than on the server so it is there before the learner can press anything. getRandomValues
# also works on plain http from another machine, where crypto.randomUUID does not exist.
LEARNER_ID_JS = """
(id) => {
  if (typeof id === "string" && /^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$/.test(id)) return id;
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
"""

FOCUS_REPLY_JS = """
() => {
  const box = document.querySelector("#reply textarea");
  if (box) { box.focus(); box.scrollIntoView({block: "center"}); }
}
"""


def launch_options() -> dict:
    """What Gradio 6 takes in ``launch()`` for this app's look."""
    return {"theme": make_theme(), "css": CSS + WORKSHOP_CSS, "head": HEAD}
