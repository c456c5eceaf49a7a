"""The opportunity stage picklist (``OpportunityStage``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ingestion.demo.fmt import HOUR, at, sf_bool, sf_datetime
from ingestion.demo.ids import IdFactory
from ingestion.demo.versions import Version

STAGE_EXTRAS = (("ForecastCategory", "ForecastCategoryName"), ("CreatedDate", "SortOrder"))
_CONFIGURED = at(date(2016, 11, 2), 18 * HOUR)


@dataclass(frozen=True)
class Stage:
    name: str
    sort_order: int
    probability: int
    forecast: str
    is_closed: bool = False
    is_won: bool = False


STAGES: tuple[Stage, ...] = (
    Stage("Prospecting", 1, 10, "Pipeline"),
    Stage("Qualification", 2, 20, "Pipeline"),
    Stage("Needs Analysis", 3, 40, "Pipeline"),
    Stage("Proposal/Price Quote", 4, 60, "Best Case"),
    Stage("Negotiation/Review", 5, 80, "Commit"),
    Stage("Closed Won", 6, 100, "Closed", is_closed=True, is_won=True),
    Stage("Closed Lost", 7, 0, "Omitted", is_closed=True),
)
OPEN_STAGES = STAGES[:5]
NEGOTIATION = 4
WON = STAGES[5]
LOST = STAGES[6]
BY_NAME = {s.name: s for s in STAGES}
# Forecast categories: Salesforce writes the label in ``ForecastCategoryName`` (Opportunity,
# OpportunityStage) and the API name in ``ForecastCategory`` (OpportunityHistory, and a second,
# unlisted column of OpportunityStage). Labels not listed here are their own API name.
FORECAST_API = {"Best Case": "BestCase", "Most Likely": "MostLikely", "Commit": "Forecast"}


def forecast_api_name(label: str) -> str:
    return FORECAST_API.get(label, label)


def stage_versions(ids: IdFactory) -> list[list[Version]]:
    return [
        [
            (
                _CONFIGURED,
                {
                    "Id": ids.new("OpportunityStage"),
                    "ApiName": stage.name,
                    "MasterLabel": stage.name,
                    "SortOrder": str(stage.sort_order),
                    "CreatedDate": sf_datetime(_CONFIGURED),
                    "IsActive": sf_bool(True),
                    "IsClosed": sf_bool(stage.is_closed),
                    "IsWon": sf_bool(stage.is_won),
                    "DefaultProbability": str(stage.probability),
                    "ForecastCategoryName": stage.forecast,
                    "ForecastCategory": forecast_api_name(stage.forecast),
                },
            )
        ]
        for stage in STAGES
    ]
