"""Benchmarks: `python -m bench` (or `make bench`) prints the figures; no timed assertions anywhere."""
