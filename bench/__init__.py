"""Benchmarks and the data generator for named scales (see docs/performance.md)."""
