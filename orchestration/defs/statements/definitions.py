"""The commission statements asset (downstream of publish)."""

import dagster as dg

from orchestration.defs.statements.assets import commission_statements

defs = dg.Definitions(assets=[commission_statements])
