"""Throttle detection: one event per episode, only with a thermal/power reason, reasons decoded."""

from __future__ import annotations

from profiler.devices.throttle import ThrottleDetector, decode_clock_event_reasons


def feed(detector, samples):
    events = []
    for t, clock, reasons in samples:
        event = detector.update(t, {"sm_clock_mhz": clock, "throttle_reasons": reasons})
        if event:
            events.append(event)
    return events


def test_decode_bits():
    assert decode_clock_event_reasons(0) == []
    assert decode_clock_event_reasons(0x1 | 0x20 | 0x80) == ["idle", "sw_thermal", "hw_power_brake"]
    expected = ["sw_power_cap", "hw_slowdown", "sync_boost", "hw_thermal"]
    assert decode_clock_event_reasons(0x4 | 0x8 | 0x10 | 0x40) == expected
    assert decode_clock_event_reasons(1 << 20) == ["bit20"]


def test_one_episode_one_event_with_details():
    d = ThrottleDetector()
    samples = [(t * 0.1, 1980, "") for t in range(50)]
    samples += [(5 + t * 0.1, 1500, "sw_thermal,hw_slowdown") for t in range(300)]  # 30 s throttled
    events = feed(d, samples)
    assert len(events) == 1
    e = events[0]
    assert e.t_s == 5.0 and e.clock_from_mhz == 1980 and e.clock_to_mhz == 1500
    assert e.reasons == ("hw_slowdown", "sw_thermal") and e.cause == "thermal"
    assert "1980" in e.message() and "1500" in e.message() and "-24%" in e.message()
    assert str(e) == e.message()  # the sampler publishes str(event) as the RunNotice message
    assert d.throttling


def test_flapping_within_clear_time_stays_one_episode_then_a_new_one_after():
    d = ThrottleDetector(clear_s=5.0)
    samples = [(0.0, 1980, ""), (1.0, 1500, "sw_power_cap"), (2.0, 1980, ""), (3.0, 1500, "sw_power_cap")]
    assert len(feed(d, samples)) == 1
    samples = [(3.5 + i, 1980, "") for i in range(7)]  # recovered for >5 s
    assert feed(d, samples) == [] and not d.throttling
    event = feed(d, [(12.0, 1400, "sw_power_cap")])
    assert len(event) == 1 and event[0].cause == "power"
    assert len(d.events) == 2


def test_no_event_without_a_limiting_reason_or_a_big_enough_drop():
    d = ThrottleDetector()
    assert feed(d, [(0, 1980, ""), (1, 300, "idle"), (2, 1200, "")]) == []  # idle or unexplained
    assert feed(d, [(3, 1980, ""), (4, 1900, "sw_thermal")]) == []  # only 4% down
    assert d.update(5, {"sm_clock_mhz": None, "throttle_reasons": "sw_thermal"}) is None


def test_reference_is_the_recent_window_max():
    d = ThrottleDetector(window_s=10.0)
    feed(d, [(0, 2000, ""), (20, 1700, ""), (21, 1700, "")])  # the old 2000 fell out of the window
    assert feed(d, [(22, 1650, "sw_thermal")]) == []  # 3% below 1700
    assert len(feed(d, [(23, 1500, "sw_thermal")])) == 1
