"""``python -m profiler.cli ...``: the headless CLI without the launcher."""

import sys

from profiler.cli import main

sys.exit(main())
