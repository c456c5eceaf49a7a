"""Runs of the pipeline against one warehouse: one at a time (``lock``)."""
