"""The source contract (what we ingest), as data.

Every landing object lives in ``<landing>/<source>/<Object>/*.csv`` and is loaded into
``raw.<source>__<object_snake_case>`` in the working DuckDB. Column types are the ones the
contract implies; columns not listed here are kept as VARCHAR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = "VARCHAR"
TEXT = "VARCHAR"
BOOL = "BOOLEAN"
TS = "TIMESTAMP"  # UTC, naive: the exports stamp everything in UTC with a trailing Z
DATE = "DATE"
MONEY = "DECIMAL(18,2)"
DOUBLE = "DOUBLE"
INT = "INTEGER"


def snake_case(name: str) -> str:
    """``OpportunityHistory`` -> ``opportunity_history``; ``comp_plans`` stays as it is."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class SourceObject:
    """A landing object: its required columns (a file without one is rejected), its optional
    columns (a file may leave them out; the raw table always has them, NULL where absent) and
    its key for the latest-file rule."""

    source: str
    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    optional: dict[str, str] = field(default_factory=dict)

    @property
    def typed_columns(self) -> dict[str, str]:
        """Required and optional columns with their types, in that order."""
        return {**self.columns, **self.optional}

    @property
    def folder(self) -> str:
        """Landing sub-folder, relative to the landing directory."""
        return f"{self.source}/{self.name}"

    @property
    def table(self) -> str:
        """Raw table name (in schema ``raw``)."""
        return f"{self.source}__{snake_case(self.name)}"

    @property
    def is_salesforce(self) -> bool:
        return self.source == "salesforce"


def _sf(name: str, columns: dict[str, str]) -> SourceObject:
    return SourceObject("salesforce", name, columns, ("Id",))


OBJECTS: tuple[SourceObject, ...] = (
    _sf(
        "User",
        {
            "Id": ID,
            "Name": TEXT,
            "FirstName": TEXT,
            "LastName": TEXT,
            "Email": TEXT,
            "IsActive": BOOL,
            "ManagerId": ID,
            "EmployeeNumber": TEXT,
            "Title": TEXT,
            "Department": TEXT,
            "UserRoleId": ID,
            "CreatedDate": TS,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "Account",
        {
            "Id": ID,
            "Name": TEXT,
            "OwnerId": ID,
            "Industry": TEXT,
            "Type": TEXT,
            "BillingCountry": TEXT,
            "CreatedDate": TS,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "OpportunityStage",
        {
            "Id": ID,
            "ApiName": TEXT,
            "MasterLabel": TEXT,
            "SortOrder": INT,
            "IsActive": BOOL,
            "IsClosed": BOOL,
            "IsWon": BOOL,
            "DefaultProbability": DOUBLE,
            "ForecastCategoryName": TEXT,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "Opportunity",
        {
            "Id": ID,
            "AccountId": ID,
            "OwnerId": ID,
            "Name": TEXT,
            "StageName": TEXT,
            "Amount": MONEY,
            "Probability": DOUBLE,
            "CloseDate": DATE,
            "Type": TEXT,
            "LeadSource": TEXT,
            "IsClosed": BOOL,
            "IsWon": BOOL,
            "ForecastCategoryName": TEXT,
            "CreatedDate": TS,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "OpportunityHistory",
        {
            "Id": ID,
            "OpportunityId": ID,
            "StageName": TEXT,
            "Amount": MONEY,
            "Probability": DOUBLE,
            "CloseDate": DATE,
            "ForecastCategory": TEXT,
            "CreatedDate": TS,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "OpportunitySplit",
        {
            "Id": ID,
            "OpportunityId": ID,
            "SplitOwnerId": ID,
            "SplitPercentage": DOUBLE,
            "SplitTypeId": ID,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "Lead",
        {
            "Id": ID,
            "OwnerId": ID,
            "Status": TEXT,
            "LeadSource": TEXT,
            "CreatedDate": TS,
            "IsConverted": BOOL,
            "ConvertedDate": DATE,
            "ConvertedOpportunityId": ID,
            "ConvertedAccountId": ID,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "Task",
        {
            "Id": ID,
            "OwnerId": ID,
            "WhoId": ID,
            "WhatId": ID,
            "AccountId": ID,
            "Subject": TEXT,
            "TaskSubtype": TEXT,
            "Type": TEXT,
            "Status": TEXT,
            "IsClosed": BOOL,
            "ActivityDate": DATE,
            "CompletedDateTime": TS,
            "CreatedDate": TS,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    _sf(
        "Event",
        {
            "Id": ID,
            "OwnerId": ID,
            "WhoId": ID,
            "WhatId": ID,
            "AccountId": ID,
            "Subject": TEXT,
            "Type": TEXT,
            "StartDateTime": TS,
            "EndDateTime": TS,
            "DurationInMinutes": INT,
            "CreatedDate": TS,
            "IsDeleted": BOOL,
            "SystemModstamp": TS,
        },
    ),
    SourceObject(
        "hris",
        "workers",
        {
            "employee_id": TEXT,
            "first_name": TEXT,
            "last_name": TEXT,
            "work_email": TEXT,
            "department": TEXT,
            "job_title": TEXT,
            "manager_employee_id": TEXT,
            "location": TEXT,
            "hire_date": DATE,
            "termination_date": DATE,
            "termination_type": TEXT,
            "employment_status": TEXT,
        },
        ("employee_id",),
    ),
    SourceObject(
        "survey",
        "responses",
        {
            "survey_id": TEXT,
            "survey_name": TEXT,
            "response_id": TEXT,
            "employee_id": TEXT,
            "submitted_at": TS,
            "question_id": TEXT,
            "question_text": TEXT,
            "factor": TEXT,
            "score": INT,
        },
        ("response_id", "question_id"),
    ),
    SourceObject(
        "enablement",
        "training_assignments",
        {
            "assignment_id": TEXT,
            "employee_id": TEXT,
            "course_id": TEXT,
            "course_name": TEXT,
            "course_category": TEXT,
            "assigned_date": DATE,
            "due_date": DATE,
            "status": TEXT,
            "completed_at": TS,
            "score": DOUBLE,  # 0-100; LMS exports may write fractions (87.5)
            "duration_minutes": DOUBLE,
        },
        ("assignment_id",),
    ),
    SourceObject(
        "enablement",
        "coaching_sessions",
        {
            "session_id": TEXT,
            "coach_employee_id": TEXT,
            "rep_employee_id": TEXT,
            "started_at": TS,
            "duration_minutes": DOUBLE,
            "session_type": TEXT,
            "status": TEXT,
        },
        ("session_id",),
    ),
    SourceObject(
        "sales_ops",
        "quotas",
        {"employee_id": TEXT, "month_start": DATE, "quota_amount": MONEY},
        ("employee_id", "month_start"),
    ),
    SourceObject(
        "sales_ops",
        "comp_plans",
        {"plan_id": TEXT, "plan_name": TEXT, "cap_multiple": DOUBLE, "clawback_days": INT},
        ("plan_id",),
        optional={"tier_method": TEXT},
    ),
    SourceObject(
        "sales_ops",
        "comp_plan_tiers",
        {
            "plan_id": TEXT,
            "floor_attainment": DOUBLE,
            "ceiling_attainment": DOUBLE,
            "rate_multiplier": DOUBLE,
        },
        ("plan_id", "floor_attainment"),
    ),
    SourceObject(
        "sales_ops",
        "plan_assignments",
        {
            "employee_id": TEXT,
            "plan_id": TEXT,
            "effective_start": DATE,
            "effective_end": DATE,
            "quarterly_target_incentive": MONEY,
        },
        ("employee_id", "plan_id", "effective_start"),
        optional={"quarterly_draw_amount": MONEY, "draw_type": TEXT},
    ),
    # Optional objects: a landing folder without files loads an empty raw table.
    SourceObject(
        "sales_ops",
        "spiffs",
        {
            "spiff_id": TEXT,
            "spiff_name": TEXT,
            "start_date": DATE,
            "end_date": DATE,
            "opportunity_type": TEXT,
            "min_amount": MONEY,
            "amount_per_deal": MONEY,
            "max_payout_per_employee": MONEY,
        },
        ("spiff_id",),
    ),
    SourceObject(
        "sales_ops",
        "comp_periods",
        {"quarter_start": DATE, "close_date": DATE},
        ("quarter_start",),
    ),
    SourceObject(
        "sales_ops",
        "plan_scenarios",
        {
            "scenario_id": TEXT,
            "scenario_name": TEXT,
            "plan_id": TEXT,
            "cap_multiple": DOUBLE,
            "clawback_days": INT,
            "tier_method": TEXT,
        },
        ("scenario_id", "plan_id"),
    ),
    SourceObject(
        "sales_ops",
        "plan_scenario_tiers",
        {
            "scenario_id": TEXT,
            "plan_id": TEXT,
            "floor_attainment": DOUBLE,
            "ceiling_attainment": DOUBLE,
            "rate_multiplier": DOUBLE,
        },
        ("scenario_id", "plan_id", "floor_attainment"),
    ),
)

OBJECTS_BY_FOLDER: dict[str, SourceObject] = {o.folder: o for o in OBJECTS}

# Forecast categories: the labels downstream models use, and the API names Salesforce writes in
# `ForecastCategory` fields (labels come in `ForecastCategoryName`). Both spellings are valid in
# every forecast-category column; staging maps API names to labels (macro forecast_category_label).
FORECAST_CATEGORY_API_NAMES: dict[str, str] = {
    "Pipeline": "Pipeline",
    "BestCase": "Best Case",
    "MostLikely": "Most Likely",
    "Forecast": "Commit",
    "Closed": "Closed",
    "Omitted": "Omitted",
}
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Most Likely", "Commit", "Closed", "Omitted")
FORECAST_CATEGORY_VALUES = tuple(
    dict.fromkeys((*FORECAST_CATEGORIES, *FORECAST_CATEGORY_API_NAMES))
)

TIER_METHODS = ("marginal", "retroactive")

TASK_SUBTYPES = ("Call", "Email", "Task", "ListEmail", "Cadence", "LinkedIn")

# Closed value sets of the contract: (object folder, column) -> allowed values. Empty is NULL
# and always allowed here; whether a column may be empty is a quality expectation.
ENUMERATIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("salesforce/Opportunity", "ForecastCategoryName"): FORECAST_CATEGORY_VALUES,
    ("salesforce/OpportunityHistory", "ForecastCategory"): FORECAST_CATEGORY_VALUES,
    ("salesforce/OpportunityStage", "ForecastCategoryName"): FORECAST_CATEGORY_VALUES,
    # Not required; checked where an export carries it.
    ("salesforce/Opportunity", "ForecastCategory"): FORECAST_CATEGORY_VALUES,
    ("salesforce/OpportunityStage", "ForecastCategory"): FORECAST_CATEGORY_VALUES,
    # Salesforce's TaskSubtype picklist (Object Reference): the contract's Call, Email and Task,
    # plus ListEmail, Cadence and LinkedIn, which marts count as other tasks.
    ("salesforce/Task", "TaskSubtype"): TASK_SUBTYPES,
    ("hris/workers", "termination_type"): ("Voluntary", "Involuntary"),
    ("hris/workers", "employment_status"): ("Active", "Terminated", "Leave"),
    # Course categories and session types are open lists (contract); statuses are closed.
    ("enablement/training_assignments", "status"): (
        "Assigned",
        "In Progress",
        "Completed",
        "Waived",
    ),
    ("enablement/coaching_sessions", "status"): ("Completed", "Cancelled", "No-show"),
    # Commission plans: how tiers pay (absent or empty = marginal) and how a draw is kept.
    ("sales_ops/comp_plans", "tier_method"): TIER_METHODS,
    ("sales_ops/plan_scenarios", "tier_method"): TIER_METHODS,
    ("sales_ops/plan_assignments", "draw_type"): ("recoverable", "non_recoverable"),
}


@dataclass(frozen=True)
class RowRule:
    """A rule across the columns, or the rows, of one file that a type cannot state. A record
    that breaks it is rejected like a value that does not parse: file, line, column and reason
    in ``audit.rejected_rows``; the file's other records load.

    ``broken`` (a condition) and ``reason`` (text) are DuckDB SQL over the file's typed records:
    every column of the object (NULL where the file lacks it) and ``_source_line``. With a
    ``partition``, they may use window functions ``over w``: the file's records of one partition
    ordered by ``order``. With ``whole_set``, a broken record rejects every record of its
    partition in the file, each naming the first broken line, so a set is never half loaded.
    """

    column: str
    broken: str
    reason: str
    partition: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    whole_set: bool = False


def _requires(column: str, other: str) -> RowRule:
    return RowRule(
        column,
        f"{other} is not null and {column} is null",
        f"'{column} is required with {other} (' || {other} || ')'",
    )


def _not_negative(column: str) -> RowRule:
    return RowRule(column, f"{column} < 0", f"'{column} may not be negative (' || {column} || ')'")


def _tier_set_rules(*set_columns: str) -> tuple[RowRule, ...]:
    """A tier set (the rows of one ``set_columns`` value) is contiguous: ordered by floor, each
    tier starts where the previous one ends, only the last may be open-ended, and no tier ends
    where it starts. A break rejects the whole set."""
    window = {"partition": set_columns, "order": ("floor_attainment", "_source_line")}
    previous_line = "lag(_source_line) over w"
    previous_ceiling = "lag(ceiling_attainment) over w"
    return (
        RowRule(
            "ceiling_attainment",
            "ceiling_attainment <= floor_attainment",
            "'ceiling_attainment ' || ceiling_attainment || ' is not above floor_attainment '"
            " || floor_attainment",
            whole_set=True,
            **window,
        ),
        RowRule(
            "floor_attainment",
            f"{previous_line} is not null and ({previous_ceiling} is null"
            f" or floor_attainment <> {previous_ceiling})",
            f"case when {previous_ceiling} is null"
            f" then 'tier after the open-ended tier on line ' || {previous_line}"
            f" when floor_attainment < {previous_ceiling}"
            f" then 'overlaps the tier on line ' || {previous_line} || ': floor_attainment '"
            f" || floor_attainment || ' is below its ceiling ' || {previous_ceiling}"
            f" else 'leaves a gap after the tier on line ' || {previous_line}"
            f" || ': floor_attainment ' || floor_attainment || ' is above its ceiling '"
            f" || {previous_ceiling} end",
            whole_set=True,
            **window,
        ),
    )


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "sales_ops/plan_assignments": (
        _requires("draw_type", "quarterly_draw_amount"),
        _requires("quarterly_draw_amount", "draw_type"),
        _not_negative("quarterly_draw_amount"),
    ),
    "sales_ops/spiffs": (
        RowRule(
            "end_date",
            "end_date < start_date",
            "'end_date ' || end_date || ' is before start_date ' || start_date",
        ),
        _not_negative("amount_per_deal"),
        _not_negative("min_amount"),
        _not_negative("max_payout_per_employee"),
    ),
    "sales_ops/plan_scenario_tiers": _tier_set_rules("scenario_id", "plan_id"),
}

# Spellings of "no date" a source writes in a date column, read as NULL (BambooHR-style worker
# reports write an empty termination date as 0000-00-00).
EMPTY_DATES: dict[str, tuple[str, ...]] = {"hris": ("0000-00-00",)}

# Provenance columns the loader adds to every raw table.
PROVENANCE_COLUMNS: dict[str, str] = {
    "_source_file": "VARCHAR",  # path relative to the landing folder
    "_source_line": "BIGINT",  # physical line (1 = header) where the record starts
    "_file_hash": "VARCHAR",  # sha256 of the file's bytes
    "_loaded_at": "TIMESTAMP",  # UTC
}
