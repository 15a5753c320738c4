"""``python -m profiler.cli ...``: the headless CLI without the launcher."""

import sys

from profiler.cli import main

if __name__ == "__main__":  # importing this module (the boundary test imports every module) runs nothing
    sys.exit(main())
