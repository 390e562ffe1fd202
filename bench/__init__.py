"""Benchmarks for the forums: page cost against thread length, and posting throughput."""
