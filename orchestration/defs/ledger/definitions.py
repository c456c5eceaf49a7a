"""The payout ledger's verification and copy, the first step of every run."""

import dagster as dg

from orchestration.defs.ledger.assets import payout_ledger

defs = dg.Definitions(assets=[payout_ledger])
