"""Process isolation: every run trains in a supervised worker process.

``run_one`` (``profiler.worker.run_one``) is the one way to run a spec; ``supervise``
(``profiler.worker.supervisor``) runs it in a worker and relays its events. The package itself
imports nothing, so the window can name these types without importing torch.
"""
