"""The names ``ingestion/demo/__main__.py`` imports, now defined in ``orchestration/settings.py``.

Only the demo generator's CLI still imports from here; new code imports ``orchestration.settings``.
"""

from orchestration.settings import AS_OF_DATE_VARIABLE, ConfigurationError, parse_date

__all__ = ["AS_OF_DATE_VARIABLE", "ConfigurationError", "parse_date"]
