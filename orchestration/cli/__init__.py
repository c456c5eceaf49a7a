"""Command-line tools apart from the code location: ``python -m orchestration.cli.<tool>``."""
