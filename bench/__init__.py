"""Performance benchmarks: a data generator and a runner (``python -m bench.run``)."""
