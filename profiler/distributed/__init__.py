"""Scaling over several devices and machines on torch.distributed and its elastic launcher.

- ``rank.run_rank``: one rank's work under any launcher (torchrun, Ray Train, a Kubernetes job),
  reading the standard environment; ``python -m profiler.distributed.rank_entry`` wraps it.
- ``launch.launch``: start N ranks on this machine through torch's elastic agent (torchrun's
  code path) with a deadline, and leave no process behind.
- ``sweep.run_scale``: the same workload at several world sizes (``horsepower scale``).
See docs/SCALING.md.
"""
