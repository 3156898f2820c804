"""The one Coach per process that the app shares: loaded on first use, read-only afterwards.

It is shared because it holds no one's data; learners' data lives in gr.State, the browser and the store.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_coach = None


def shared_coach():
    """Load the coach the first time it is asked for (a few seconds), then hand back the same one."""
    global _coach
    if _coach is None:
        with _lock:
            if _coach is None:
                from listening import Coach

                _coach = Coach.load()
    return _coach
