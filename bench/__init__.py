"""Benchmarks: in-process authorization overhead, and end to end against a no-authz floor."""
