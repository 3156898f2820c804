"""The learner's browser app (Gradio): practise on a disclosure, see feedback, track progress.

    from listening.ui import build_app, launch_options
    demo = build_app(store=Store.open("attempts.db"))
    demo.launch(**launch_options())

Handlers are plain functions in ``listening.ui.handlers``; HTML and highlight building in ``render``.
"""

from listening.ui.build import build_app
from listening.ui.theme import launch_options

__all__ = ["build_app", "launch_options"]
