"""Benchmarks: each measures trendbot against a floor in the same run and reports the ratio."""
