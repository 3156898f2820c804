"""Workshop mode's look and its small scripts.

The projector page has a look of its own (white on near-black, type sized to the screen, nothing else on
the page), scoped with ``body:has(#projector-view)`` since Gradio gives every page one stylesheet. The
facilitator's and participants' pages keep the learner app's theme, laid out for a laptop and a phone.
"""

CSS = """
/* ---------------------------------------------------------------- the projector
   Every rule starts at #projector-view, so it wins over Gradio's prose styles. */
body:has(#projector-view), body:has(#projector-view) gradio-app, body:has(#projector-view) .gradio-container,
body:has(#projector-view) .main, body:has(#projector-view) .contain {
  background: #0b0b0c !important; --body-background-fill: #0b0b0c; }
body:has(#projector-view) .gradio-container { max-width: none !important; padding: 0 !important; margin: 0 !important; }
body:has(#projector-view) footer, body:has(#projector-view) .nav-holder,
body:has(#room-header) .nav-holder { display: none !important; }
body:has(#projector-view) .wrap, body:has(#projector-view) .contain { padding: 0 !important; }
#projector-view { --body-text-color: #ffffff; color: #ffffff; }
#projector-fullscreen { position: fixed; right: 1rem; bottom: 1rem; z-index: 10; width: auto; max-width: 12rem;
  background: #1f1f23; color: #ffffff; border: 1px solid #71717a; font-size: 1rem; opacity: 0.85; }
#projector-fullscreen:hover, #projector-fullscreen:focus-visible { opacity: 1; background: #27272a; }
:fullscreen #projector-fullscreen { display: none; }
#projector-view .pj { font-size: clamp(14px, min(1.45vw, 2.5vh), 44px); line-height: 1.3; color: #ffffff;
  padding: 1vw 2vw 1.2vw; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  height: 100vh; box-sizing: border-box; display: flex; flex-direction: column; overflow: hidden; }
#projector-view .visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
#projector-view .pj-top { display: flex; align-items: center; gap: 1.2em; padding-bottom: 0.5em;
  border-bottom: 2px solid #3f3f46; }
#projector-view .pj-join { display: flex; align-items: center; gap: 1em; flex: 1 1 auto; }
#projector-view .pj-join-text { font-size: 1.1em; }
#projector-view .pj-label { color: #d4d4d8; }
#projector-view .pj-url { font-weight: 700; color: #ffffff; }
#projector-view .pj-code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-weight: 800;
  letter-spacing: 0.12em; font-size: 1.6em; color: #fde047; white-space: nowrap; }
#projector-view .pj-qr { background: #ffffff; padding: 0.2em; border-radius: 0.3em; line-height: 0; }
#projector-view .pj-qr svg { width: 4.6em; height: 4.6em; display: block; }
#projector-view .pj-status { margin: 0; font-weight: 700; padding: 0.15em 0.7em; border-radius: 999px;
  border: 2px solid; white-space: nowrap; }
#projector-view .pj-status.open { color: #86efac; border-color: #86efac; }
#projector-view .pj-status.closed { color: #fca5a5; border-color: #fca5a5; }
#projector-view .pj-status.waiting { color: #e4e4e7; border-color: #a1a1aa; }
#projector-view .pj-count { margin: 0; font-size: 1.1em; color: #ffffff; white-space: nowrap; }
#projector-view .pj-count .n { font-size: 2em; font-weight: 800; color: #fde047; }
#projector-view .pj-exercise { margin: 0.6em 0 0.4em; }
#projector-view .pj-title { font-size: 0.9em !important; font-weight: 600 !important; color: #d4d4d8 !important;
  margin: 0 0 0.25em !important; text-transform: uppercase; letter-spacing: 0.06em; }
#projector-view .pj-disclosure { margin: 0 !important; padding: 0.2em 0 0.2em 0.8em !important;
  border-left: 0.25em solid #5eead4 !important; font-size: 1.5em; line-height: 1.3; font-weight: 500; color: #ffffff; }
#projector-view .pj-disclosure p { margin: 0 0 0.3em; color: #ffffff; }
#projector-view .pj.with-side .pj-disclosure { font-size: 1.05em; }
#projector-view .pj-disclosure p:last-child { margin: 0; }
#projector-view .pj-body { display: grid; grid-template-columns: 1fr; gap: 2vw; margin-top: 0.6em;
  flex: 1 1 auto; min-height: 0; }
#projector-view .pj-body > * { min-height: 0; overflow: hidden; }
#projector-view .pj-body.with-side { grid-template-columns: minmax(0, 36fr) minmax(0, 64fr); }
#projector-view .room-chart { margin: 0; }
#projector-view .chart-h { font-size: 1em !important; color: #d4d4d8 !important; font-weight: 600 !important;
  margin: 0 0 0.2em !important; }
#projector-view .pj-body:not(.with-side) .room-chart { display: grid; grid-template-columns: 1fr 1fr;
  column-gap: 3vw; grid-template-rows: auto auto 1fr; grid-auto-flow: column; }
#projector-view .pj-body:not(.with-side) .chart-h { grid-column: 1 / 3; }
#projector-view .chart-group-h { margin: 0.4em 0 0.1em; font-weight: 800; font-size: 1em; }
#projector-view .chart-group-h.skill { color: #86efac; }
#projector-view .chart-group-h.barrier { color: #fdba74; }
#projector-view .chart-rows { list-style: none; margin: 0; padding: 0; }
#projector-view .chart-row { display: grid; grid-template-columns: 11.5em 1fr 2em; gap: 0.5em; align-items: center;
  margin: 0.2em 0; }
#projector-view .chart-label { font-size: 1em; color: #ffffff; }
#projector-view .chart-bar { height: 1em; background: #27272a; border-radius: 0.2em; overflow: hidden; }
#projector-view .chart-bar span { display: block; height: 100%; transition: width 0.4s ease; }
#projector-view .skill .chart-bar span { background: #22c55e; }
#projector-view .barrier .chart-bar span { background: #f97316; }
#projector-view .chart-n { font-weight: 800; font-size: 1.2em; text-align: right; color: #ffffff; }
#projector-view .pj-side-h { font-size: 1em !important; color: #d4d4d8 !important; margin: 0 0 0.3em !important; }
#projector-view .pj-quiet { color: #d4d4d8; font-size: 1em; }
#projector-view .wall-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(15em, 1fr)); gap: 0.6em; }
#projector-view .wall-card { background: #18181b; border: 1px solid #52525b; border-radius: 0.4em;
  padding: 0.45em 0.65em; margin: 0; }
#projector-view .wall-n { margin: 0 0 0.15em; color: #fde047; font-weight: 800; font-size: 0.85em; }
#projector-view .wall-text { margin: 0 0 0.35em; font-size: 0.95em; line-height: 1.5; color: #ffffff;
  overflow-wrap: anywhere; display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 6;
  overflow: hidden; }
#projector-view .pj-side.wall { position: relative; }
#projector-view .pj-side.wall::after { content: ""; position: absolute; left: 0; right: 0; bottom: 0; height: 2em;
  background: linear-gradient(transparent, #0b0b0c); pointer-events: none; }
#projector-view .wall-more { margin: 0 0 0.3em; font-size: 0.85em; }
#projector-view .wall-text mark { background: var(--mark); color: #ffffff; padding: 0.05em 0.2em;
  border-radius: 0.2em; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
#projector-view .mark-tag { font-size: 0.62em; font-weight: 700; margin-left: 0.35em; text-transform: uppercase;
  letter-spacing: 0.03em; vertical-align: 0.15em; color: #ffffff; }
#projector-view .wall-chips { margin: 0; display: flex; flex-wrap: wrap; gap: 0.3em; }
#projector-view .chip { font-size: 0.72em; font-weight: 700; border-radius: 999px; padding: 0.05em 0.55em;
  border: 2px solid; }
#projector-view .chip.skill { color: #86efac; border-color: #86efac; }
#projector-view .chip.barrier { color: #fdba74; border-color: #fdba74; }
#projector-view .chip.none { color: #d4d4d8; border-color: #71717a; }
#projector-view .pj-side.compare { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; align-items: start; }
#projector-view .pj-side.compare .wall-text { font-size: 1.3em; -webkit-line-clamp: 14; }
#projector-view .pj-side.examples ol { margin: 0; padding-left: 1.3em; }
#projector-view .pj-side.examples li { margin: 0 0 0.6em; font-size: 1.2em; color: #ffffff; }
#projector-view .pj.waiting { align-items: center; justify-content: center; gap: 1em; }
#projector-view .pj-join.big { flex-direction: column; text-align: center; gap: 1.2em; flex: 0 0 auto; }
#projector-view .pj-join.big .pj-join-text { font-size: 2em; line-height: 1.6; }
#projector-view .pj-join.big .pj-code { font-size: 2em; display: block; }
#projector-view .pj-join.big .pj-qr svg { width: 32vh; height: 32vh; }
#projector-view .pj.message-only { align-items: center; justify-content: center; }
#projector-view .pj-message { font-size: 1.6em; max-width: 40em; text-align: center; color: #ffffff; }

/* ---------------------------------------------------------------- the facilitator */
#fac-header h1 { font-size: 2rem; margin: 0.2em 0 0.1em; }
#fac-header p { margin: 0; color: var(--body-text-color-subdued); }
#fac-room .fac-room { display: flex; gap: 1.5rem; align-items: center; justify-content: space-between; flex-wrap: wrap;
  background: #ffffff; border: 1px solid #e7e5e4; border-radius: 12px; padding: 0.9rem 1.2rem; }
#fac-room .fac-room h2 { margin: 0 0 0.3rem !important; font-size: 1.5rem !important; }
#fac-room .fac-code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: 0.1em;
  background: #fef9c3; color: #1c1917; padding: 0 0.35em; border-radius: 6px; }
#fac-room .fac-room p { margin: 0.3rem 0; }
#fac-room .fac-room-text { flex: 1 1 22rem; }
#fac-room .fac-projector-link { font-weight: 700; }
#fac-room .fac-key summary { cursor: pointer; color: #134e4a; }
#fac-room .fac-key-link { overflow-wrap: anywhere; font-size: 0.85rem; }
#fac-room .fac-qr { width: 9rem; height: 9rem; flex: 0 0 auto; } #fac-room .fac-qr svg { width: 100%; height: 100%; }
#fac-now .fac-now { font-size: 1.1rem; margin: 0.2rem 0; padding: 0.5rem 0.8rem; border-radius: 8px; background: #f5f5f4;
  border-left: 5px solid #a8a29e; }
#fac-now .fac-now.open { border-left-color: #17663a; } #fac-now .fac-now.closed { border-left-color: #b42318; }
#fac-replies .fac-reply-list { list-style: none; padding: 0; margin: 0.4rem 0 0; }
#fac-replies .fac-reply { display: grid; grid-template-columns: 3rem 1fr auto; gap: 0.6rem; align-items: start;
  padding: 0.45rem 0.2rem; border-bottom: 1px solid #e7e5e4; }
#fac-replies .fac-n { font-weight: 700; color: #134e4a; }
#fac-replies .fac-reply-text q { display: block; color: #1c1917; overflow-wrap: anywhere; }
#fac-replies .fac-reply-state { display: block; font-size: 0.9rem; color: #57534e; }
#fac-replies .fac-reply.hidden-reply q { color: #57534e; text-decoration: line-through; }
#fac-replies .fac-mod { background: #ffffff; border: 1px solid #0f766e; color: #134e4a; border-radius: 999px;
  padding: 0.2rem 0.8rem; cursor: pointer; font-size: 0.95rem; }
#fac-replies .fac-mod[data-action="hide"] { border-color: #b42318; color: #7a271a; }
#fac-replies .fac-mod:hover { background: #f0fdfa; }
#fac-replies .fac-mod:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
#fac-replies .fac-mod:disabled { opacity: 0.6; cursor: progress; }
#fac-note { font-size: 0.95rem; }

/* ---------------------------------------------------------------- participants (phones first) */
#room-header h1 { font-size: 1.7rem; margin: 0.2em 0 0.1em; }
#room-header p { margin: 0; color: var(--body-text-color-subdued); }
#room-code-input input { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 1.6rem; letter-spacing: 0.15em; text-transform: uppercase; }
#room-seat .seat { margin: 0.2rem 0; font-size: 1.05rem; }
#room-seat .seat-code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: 0.08em; }
#room-reply textarea { font-size: 1.15rem; line-height: 1.5; }
/* the highlighted reply flows like prose, as in the learner app (theme.py, #reply-highlight) */
#room-highlight .textfield { display: block; font-size: 1.1rem; line-height: 2.2; word-break: normal;
  overflow-wrap: anywhere; }
#room-highlight .token-container { display: inline; }
#room-highlight .token { display: inline; color: #1c1917 !important; -webkit-box-decoration-break: clone;
  box-decoration-break: clone; }
#room-highlight .token.highlighted { margin: 0 0.1rem; padding: 0.2rem 0.25rem; }
#room-highlight .line-break { display: block; height: 0; }
#room-highlight .label { font-size: 0.72rem !important; letter-spacing: 0.02em; }
@media (max-width: 640px) {
  body:has(#room-page) .gradio-container { padding: 0 0.5rem !important; }
  #room-header h1 { font-size: 1.4rem; }
  #fac-room .fac-room { flex-direction: column; align-items: flex-start; }
}
.dark #fac-room .fac-room { background: #1c1917; border-color: #44403c; }
.dark #fac-now .fac-now { background: #292524; color: #f5f5f4; }
.dark #fac-replies .fac-reply-text q { color: #f5f5f4; } .dark #fac-replies .fac-reply-state { color: #d6d3d1; }
"""

# Projector: read the room from the address (#room=CODE&key=KEY, or ?room=&key=), keep it for this tab only,
# and take the key out of the address bar, so it is not on the wall for everyone to read.
PROJECTOR_ROOM_JS = """
(code, key) => {
  const hash = new URLSearchParams(location.hash.slice(1));
  const query = new URLSearchParams(location.search);
  let room = hash.get("room") || query.get("room") || query.get("code") || "";
  let k = hash.get("key") || query.get("key") || "";
  const store = "listening-projector";
  if (room && k) {
    try { sessionStorage.setItem(store, JSON.stringify({room: room, key: k})); } catch (e) {}
    history.replaceState(null, "", location.pathname);
  } else {
    try {
      const saved = JSON.parse(sessionStorage.getItem(store) || "null");
      if (saved && saved.room && saved.key) { room = saved.room; k = saved.key; }
    } catch (e) {}
  }
  return [room, k];
}
"""

FULLSCREEN_JS = """
() => {
  if (document.fullscreenElement) { document.exitFullscreen(); return; }
  const el = document.documentElement;
  if (el.requestFullscreen) el.requestFullscreen().catch(() => {});
}
"""

# On the projector view: F toggles full screen.
PROJECTOR_KEYS_JS = """
document.addEventListener("keydown", function (event) {
  if ((event.key !== "f" && event.key !== "F") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest && event.target.closest("input, textarea")) return;
  if (document.fullscreenElement) document.exitFullscreen();
  else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
});
"""

# Facilitator page: a room from the address (#room=&key=, e.g. a link from another device; then taken out
# of the bar) or the one this browser ran last.
FACILITATOR_ROOM_JS = """
(saved) => {
  const hash = new URLSearchParams(location.hash.slice(1));
  const room = hash.get("room"), key = hash.get("key");
  if (room && key) { history.replaceState(null, "", location.pathname); return [room, key]; }
  if (saved && typeof saved === "object" && saved.code && saved.key) return [saved.code, saved.key];
  return ["", ""];
}
"""

# The facilitator's reply list: each Hide / Show button sends its reply's number to the server.
MODERATION_JS = """
element.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  button.disabled = true;
  trigger("click", {action: button.dataset.action, number: Number(button.dataset.number)});
});
"""

# Participant page: the code from the QR link (?code=), and this device's seat if it joined that room before.
ROOM_SEAT_JS = """
(seat, typed) => {
  const code = (new URLSearchParams(location.search).get("code") || "").toUpperCase();
  if (seat && typeof seat === "object" && seat.code && seat.token && (!code || code === seat.code)) {
    return [seat.code, seat.code, seat.token];
  }
  // a code typed before the page finished loading stays where it was typed
  return [code || typed || "", "", ""];
}
"""
