"""Process isolation: training runs in a supervised worker process."""

from profiler.worker.supervisor import describe_exit, supervise

__all__ = ["describe_exit", "supervise"]
