"""Files on their way to a browser: each in a private folder, removed after an hour and when the app stops."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

KEEP_SECONDS = 3600  # downloads (learners' data among them) are deleted after an hour


class Downloads:
    """A private folder per kind of download; ``folder()`` gives a fresh one that deletes itself later."""

    def __init__(self, prefix: str, keep_seconds: float | None = None):
        self.prefix = prefix
        self.keep_seconds = keep_seconds
        self._root: Path | None = None

    def folder(self) -> Path:
        """A new empty folder, removed after ``keep_seconds`` (default ``KEEP_SECONDS``) and when the app stops."""
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix=self.prefix))
            atexit.register(shutil.rmtree, self._root, True)
        folder = Path(tempfile.mkdtemp(dir=self._root))
        keep = KEEP_SECONDS if self.keep_seconds is None else self.keep_seconds
        timer = threading.Timer(keep, shutil.rmtree, (folder, True))
        timer.daemon = True
        timer.start()
        return folder
