"""Qt-free state the widgets display: the live series store, the session, card values and
sweep progress. Figures themselves come from ``profiler.metrics``."""
