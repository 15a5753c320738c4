"""Names of the latest-value scalars the window's ``SeriesStore`` holds. Qt-free.

The event ingest writes them and the plots and cards read them; the view state owns them
(widgets sit above it and may name them). Series keys follow ``profiler.metrics.keys``.
"""

STATE = "state"  # the last RunState
STATE_MESSAGE = "state_message"  # the message of the last RunStateChanged (the start step it is on)
WARMUP_STEPS = "warmup_steps"  # warm-up steps seen
STAGE = "stage"  # run stage of the last step: warmup | timed | compile
STEPS = "steps"  # steps seen
DESCRIBED = "described"  # the run's RunDescription (RunDescribed.description)
LIVE = "live"  # profiler.metrics.figures.Figures of the timed window's last seconds
THROTTLE = "throttle"  # the last throttling notice
PHASE_SAMPLES = "phase_samples"  # tuple of the latest PhaseSample.phases dicts (the live step split)
TIMED_START = "timed_start"  # run time (s) the timed window began: warm-up is before it
CLOCK_OFFSET = "clock_offset"  # machine clock minus run time (s): places a run on the machine plots
MACHINE = "machine"  # the pseudo-run of machine-wide series (profiler.runner.machine.MACHINE)
