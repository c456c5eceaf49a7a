"""The source contract (what we ingest), as data.

Every landing object lives in ``<landing>/<source>/<Object>/*.csv`` and is loaded into
``raw.<source>__<object_snake_case>`` in the working DuckDB. Column types are the ones the
contract implies; columns not listed here are kept as VARCHAR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    source: str
    name: str
    columns: dict[str, str]
    key: tuple[str, ...]

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
