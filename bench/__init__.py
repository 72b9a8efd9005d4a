"""Benchmarks: scripts that print figures and ratios to a baseline run in the same process."""
