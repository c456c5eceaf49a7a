"""Landing-folder exports in, typed raw tables out: the source contract and its loader."""
