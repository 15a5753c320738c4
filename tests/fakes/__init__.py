"""Fake vendor libraries (pynvml, amdsmi) organised as named scenarios, for tests without GPUs."""
