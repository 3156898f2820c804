"""``python -m listening``: the command line."""

from listening.cli import main

raise SystemExit(main())
