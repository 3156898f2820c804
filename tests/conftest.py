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
