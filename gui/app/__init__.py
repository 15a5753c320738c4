"""The process shell: the entry point, the window command, scripted runs, the self-test,
the start-up gate and logging."""
