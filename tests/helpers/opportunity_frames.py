"""Opportunity states from the landing CSVs, with pandas: the contract's rules, plainly.

Independent of the loader and the dbt models (see ``tests.helpers.landing_frames``). The fiscal year
starts in January in the end-to-end runs, so a quarter is the calendar quarter of the UTC date.
"""

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ingestion.contract import FORECAST_CATEGORY_API_NAMES
from tests.helpers.landing_frames import salesforce_current


def quarter_start(dates: pd.Series) -> pd.Series:
    """'YYYY-MM-01' of the calendar quarter of ISO dates or timestamps (UTC)."""
    months = dates.str[5:7].astype(int)
    first_months = (months - 1) // 3 * 3 + 1
    return dates.str[:4] + "-" + first_months.map("{:02d}".format) + "-01"


def live_history(landing: Path) -> pd.DataFrame:
    """History rows of opportunities that are not deleted, by CreatedDate then Id."""
    opportunities = salesforce_current(landing, "Opportunity")
    history = salesforce_current(landing, "OpportunityHistory")
    history = history[history["OpportunityId"].isin(opportunities["Id"])]
    return history.sort_values(["OpportunityId", "CreatedDate", "Id"]).reset_index(drop=True)


def opportunity_states(landing: Path, day: date) -> pd.DataFrame:
    """The contract's "Opportunity state at the end of day d", plainly, from the exports.

    The current row when its SystemModstamp is on or before d; else the last history row with
    CreatedDate on or before d (by CreatedDate, then Id), its forecast category's API name
    mapped to the label; else the current row. Only opportunities created on or before d.
    """
    day_end = pd.Timestamp(day + timedelta(days=1), tz="UTC")
    current = salesforce_current(landing, "Opportunity").set_index("Id")
    current = current[pd.to_datetime(current["CreatedDate"], utc=True) < day_end]
    stages = salesforce_current(landing, "OpportunityStage").set_index("ApiName")
    history = live_history(landing)
    history = history[pd.to_datetime(history["CreatedDate"], utc=True) < day_end]
    last_rows = history.groupby("OpportunityId").tail(1).set_index("OpportunityId")
    modified_by_day = pd.to_datetime(current["SystemModstamp"], utc=True) < day_end
    candidates = last_rows.index.intersection(current.index)
    from_history = candidates[~modified_by_day.loc[candidates].to_numpy(dtype=bool)]
    last_rows = last_rows.loc[from_history]
    from_current = current.drop(index=from_history)
    state = pd.concat(
        [
            pd.DataFrame(
                {
                    "stage": last_rows["StageName"],
                    "amount": last_rows["Amount"],
                    "close_date": last_rows["CloseDate"],
                    "category": last_rows["ForecastCategory"].replace(FORECAST_CATEGORY_API_NAMES),
                    "is_from_history": True,
                }
            ),
            pd.DataFrame(
                {
                    "stage": from_current["StageName"],
                    "amount": from_current["Amount"],
                    "close_date": from_current["CloseDate"],
                    "category": from_current["ForecastCategoryName"],
                    "is_from_history": False,
                }
            ),
        ]
    ).loc[current.index]
    return state.assign(
        is_closed=state["stage"].map(stages["IsClosed"]) == "true",
        is_won=state["stage"].map(stages["IsWon"]) == "true",
        rep_id=current["OwnerId"],
        quarter=quarter_start(state["close_date"]),
        amount=pd.to_numeric(state["amount"]).fillna(0),
    )
