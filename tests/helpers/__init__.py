"""Helpers shared by the tests (and the benchmark): pipeline runs, landing-file frames."""
