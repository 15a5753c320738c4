"""Every figure a user sees, computed once: throughput, FLOP/s, MFU, speedup, memory, keys.

The CLI, the window and the reports only display what these functions return. Live
figures come from the same functions as final ones, fed the steps measured so far.
"""
