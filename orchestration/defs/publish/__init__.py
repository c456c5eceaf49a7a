"""Publish: the marts copied to the BI file, only when every blocking check passed."""
