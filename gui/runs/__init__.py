"""The window's link to the engine: the bridge, event ingest, profiling and sweep threads,
the run manager, the history link and the device catalogue loader."""
