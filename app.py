"""Start the learner's app: ``python app.py`` (see ``--help``). A thin shell over ``listening.ui``."""

import os

# Before gradio, transformers or huggingface_hub are imported: no analytics, no model hub, all offline.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from listening.store import default_path

    parser = argparse.ArgumentParser(
        prog="app.py", description="Practise active listening in the browser: the self-paced learner's app, "
        "and workshop mode for a room with a projector (/workshop).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 to share on your network)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    parser.add_argument("--db", type=Path, default=None,
                        help=f"SQLite file for learners' history and workshop rooms (default {default_path()}; "
                             "or $LISTENING_DB)")
    parser.add_argument("--no-store", action="store_true",
                        help="keep no history at all (workshop rooms then live in a temporary file, removed "
                        "when the app stops)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from listening.store import Store, StoreError
    from listening.ui import build_app, launch_options
    from listening.ui.engine import shared_coach

    try:
        store = None if args.no_store else Store.open(args.db)
    except (OSError, StoreError) as err:
        print(f"app.py: cannot use the history database: {err}", file=sys.stderr)  # noqa: T201
        return 2
    shared_coach()  # load the model now, so the first learner does not wait for it
    demo = build_app(store=store)
    demo.launch(server_name=args.host, server_port=args.port, **launch_options())
    return 0


if __name__ == "__main__":
    sys.exit(main())
