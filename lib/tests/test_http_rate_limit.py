# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core.http import RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_calls_are_spaced_by_the_rate():
    fake = FakeClock()
    limiter = RateLimiter(4, clock=fake.clock, sleep=fake.sleep)
    for _ in range(5):
        limiter.wait()
    # The first call goes at once, each next one a quarter of a second later.
    assert fake.slept == [0.25, 0.25, 0.25, 0.25]
    assert fake.now == 101.0


def test_time_spent_elsewhere_counts_towards_the_interval():
    fake = FakeClock()
    limiter = RateLimiter(2, clock=fake.clock, sleep=fake.sleep)
    limiter.wait()
    fake.now += 0.2  # the request itself took 0.2 s
    assert round(limiter.wait(), 6) == 0.3
    fake.now += 5  # idle: no catching up in a burst later
    limiter.wait()
    assert round(limiter.wait(), 6) == 0.5


def test_zero_means_unlimited():
    fake = FakeClock()
    limiter = RateLimiter(0, clock=fake.clock, sleep=fake.sleep)
    for _ in range(100):
        assert limiter.wait() == 0.0
    assert fake.slept == []
