"""Helpers of the suite's two commands, setup/run and setup/test."""
