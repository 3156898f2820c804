import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def coach():
    from listening import Coach

    return Coach.load()


@pytest.fixture(scope="session")
def library():
    from listening import load_library

    return load_library()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def launched_app(coach, library, tmp_path_factory):
    """The learner's app on 127.0.0.1 with a free port and a fresh database: (url, store, demo)."""
    from listening.store import Store
    from listening.ui import build_app, launch_options

    store = Store.open(tmp_path_factory.mktemp("app") / "attempts.db")
    demo = build_app(coach=coach, store=store, library=library)
    demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True,
                **launch_options())
    try:
        yield demo.local_url, store, demo
    finally:
        demo.close()
