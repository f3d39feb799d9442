"""Entry point: `python main.py [--config PATH] COMMAND` (see README.md)."""

import sys

from automation.cli import main

if __name__ == "__main__":
    sys.exit(main())
