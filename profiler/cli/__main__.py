"""``python -m profiler.cli ...``: the headless CLI without the launcher."""

import sys

from profiler.cli import main

if __name__ == "__main__":  # importing this module (e.g. walking the package) must not run the CLI
    sys.exit(main())
