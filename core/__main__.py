"""`python -m core`: train from the command line (see core/cli.py)."""

import sys

from core.cli import EXIT_INTERRUPTED, main

try:
    sys.exit(main())
except KeyboardInterrupt:  # a second Ctrl-C, or one before training started: quit without a traceback
    print("\nInterrupted.", file=sys.stderr)
    sys.exit(EXIT_INTERRUPTED)
