"""Raw assets: one per landing object, and the checks on what their load rejected."""
