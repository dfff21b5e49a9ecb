"""The supervisor's waits between restarts: doubling from 0.5 s, capped, jittered."""

from __future__ import annotations

from gateway.supervisor import restart_delay


def test_restart_waits_double_up_to_the_cap_each_jittered_within_half_of_it() -> None:
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    for attempt, ceiling in enumerate(ceilings):
        delays = {restart_delay(attempt, cap=10.0) for _ in range(200)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), (attempt, delays)
        assert len(delays) > 1  # jittered: a crowd of restarts does not meet again
