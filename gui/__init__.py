"""Horsepower's desktop window: observes the engine in ``profiler``; never drives training itself."""
