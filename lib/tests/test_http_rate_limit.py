# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import threading

from spp_payment_core.http import RateLimiter, TokenBucket, run_concurrently


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


def test_threads_share_one_bucket_and_never_take_the_same_slot():
    # The clock stands still: each call's slot is when its wait ends.
    fake = FakeClock()
    bucket = TokenBucket(4, clock=fake.clock, sleep=lambda seconds: None)
    slots = []
    lock = threading.Lock()

    def caller():
        for _ in range(10):
            slot = fake.now + bucket.wait()
            with lock:
                slots.append(round(slot, 6))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 80 calls from 8 threads: one every quarter of a second, none together.
    assert sorted(slots) == [round(100 + n * 0.25, 6) for n in range(80)]


def test_a_burst_goes_at_once_then_the_rate_holds():
    fake = FakeClock()
    bucket = TokenBucket(1, burst=3, clock=fake.clock, sleep=fake.sleep)
    waits = [bucket.wait() for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0]
    fake.now += 100  # idle: the bucket fills up to the burst, no more
    assert [bucket.wait() for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_run_concurrently_keeps_the_order_and_overlaps_the_calls():
    arrived = threading.Barrier(4, timeout=10)

    def call(item):
        # Four calls at once, or the barrier breaks.
        arrived.wait()
        return item * 2

    assert run_concurrently(call, range(8), 4) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert run_concurrently(lambda item: item, [], 4) == []
