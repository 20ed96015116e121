"""Loopback simulators of the FSP protocols, for tests, benchmarks and demos."""
