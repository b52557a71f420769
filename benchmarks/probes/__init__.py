"""Small measurements quoted in the benchmark reports (run with ``python -m``)."""
