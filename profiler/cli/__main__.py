"""``python -m profiler.cli ...``: the headless CLI without the launcher."""

import sys

from profiler.cli import main

if __name__ == "__main__":  # importing this module (tests walk every module) must not run the CLI
    sys.exit(main())
