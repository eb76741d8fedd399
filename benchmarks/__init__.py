"""Benchmarks of flashgen's scheduling: ``python -m benchmarks.scheduler`` (simulated provider)
and ``python -m benchmarks.end_to_end`` (the real CLI against a local OpenAI-style server).

They are programs, not tests: they print a table and are never run by pytest.
"""
