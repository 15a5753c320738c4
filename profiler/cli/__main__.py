"""``python -m profiler.cli ...``: the headless CLI without the launcher."""

import sys

from profiler.cli import main

if __name__ == "__main__":  # importing the module (tests import every engine module) runs nothing
    sys.exit(main())
