"""Deterministic demo exports for the landing folder (``python -m ingestion.demo``)."""

from ingestion.demo.generator import generate

__all__ = ["generate"]
