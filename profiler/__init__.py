"""Horsepower's measurement engine: headless, Qt-free.

It discovers devices, trains sample models on them, samples telemetry and
produces measured results. The desktop window in ``gui`` only observes it.
"""

__version__ = "0.1.0"
