"""The Great Expectations gate on the raw sources, declared beside the source contract.

One suite per raw object (``RAW_SUITES``, keyed by landing folder), each run as one blocking
Dagster asset check (``orchestration/defs/quality/checks.py``) on the object's current records
(the contract's version rule applied, deleted Salesforce records dropped). Rules about models
(grain, ranges, reconciliations) are dbt tests in each model's yml, not here. A suite
validates one or more frames, pandas DataFrames read from the working DuckDB:

- ``records(...)``: the object's current records; every suite also gets the object's key
  expectations here and a ``schema`` frame comparing the raw table's columns and types with the
  contract (``raw_suite``).
- ``Frame(name, sql=...)``: a derived frame for cross-row or cross-object rules (split totals per
  opportunity). ``{source/Object}`` in the SQL stands for that object's current records.

Expectations are GX 1.x expectation types with their kwargs, plus a severity:

- ``error``: the data breaks the source contract, so numbers built from it are wrong. A failed
  error-level expectation fails the check with severity ERROR and blocks publish.
- ``warning``: a data smell worth a look that the contract allows or the marts handle (a NULL
  where one is unusual). Reported with severity WARN; never blocks.

An expectation that GX cannot evaluate (a column missing, a GX error) counts as error-level:
a rule that did not run vouches for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ingestion.contract import ENUMERATIONS, SourceObject
from spm_common.schemas import RAW_SCHEMA

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Expectation:
    """A GX expectation type (``expect_...``), its kwargs and how bad a failure is."""

    type: str
    severity: Severity
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def error(expectation_type: str, **kwargs: Any) -> Expectation:
    return Expectation(expectation_type, "error", kwargs)


def warning(expectation_type: str, **kwargs: Any) -> Expectation:
    return Expectation(expectation_type, "warning", kwargs)


@dataclass(frozen=True)
class ValuesOf:
    """A value set read at run time: the non-null values of a column of another object's
    current records (e.g. the stage names of ``OpportunityStage``)."""

    folder: str
    column: str


@dataclass(frozen=True)
class Frame:
    """One DataFrame a suite validates and the expectations on it.

    ``sql`` None means the suite's own rows (the object's current records).
    ``computed`` adds columns (name -> DuckDB expression over those rows, window functions
    allowed). ``row_id`` names the columns that identify a failing row in samples.
    """

    name: str
    expectations: tuple[Expectation, ...]
    sql: str | None = None
    computed: Mapping[str, str] = field(default_factory=dict)
    row_id: tuple[str, ...] = ()


def records(*expectations: Expectation, computed: Mapping[str, str] | None = None) -> Frame:
    return Frame("records", expectations, computed=computed or {})


# ---------------------------------------------------------------- shorthands for common rules


def not_null(*columns: str, severity: Severity = "error") -> tuple[Expectation, ...]:
    return tuple(
        Expectation("expect_column_values_to_not_be_null", severity, {"column": c}) for c in columns
    )


def between(
    column: str, low: float | None, high: float | None, severity: Severity = "error", **kw: Any
) -> Expectation:
    return Expectation(
        "expect_column_values_to_be_between",
        severity,
        {"column": column, "min_value": low, "max_value": high, **kw},
    )


def non_negative(*columns: str, severity: Severity = "error") -> tuple[Expectation, ...]:
    return tuple(between(c, 0, None, severity) for c in columns)


def in_set(column: str, values: Any, severity: Severity = "error", **kw: Any) -> Expectation:
    return Expectation(
        "expect_column_values_to_be_in_set",
        severity,
        {"column": column, "value_set": values, **kw},
    )


def enumeration(folder: str, column: str) -> Expectation:
    """The contract's closed value set of ``folder.column`` (NULL allowed)."""
    return in_set(column, list(ENUMERATIONS[(folder, column)]))


def not_before(later: str, earlier: str, severity: Severity = "error") -> Expectation:
    """``later >= earlier`` where both are set."""
    return Expectation(
        "expect_column_pair_values_a_to_be_greater_than_b",
        severity,
        {
            "column_A": later,
            "column_B": earlier,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    )


def equal(column_a: str, column_b: str, severity: Severity = "error") -> Expectation:
    return Expectation(
        "expect_column_pair_values_to_be_equal",
        severity,
        {"column_A": column_a, "column_B": column_b, "ignore_row_if": "either_value_is_missing"},
    )


@dataclass(frozen=True)
class Where:
    """A row condition (``column operator value``); becomes a GX ``Condition`` at run time."""

    column: str
    operator: Literal["==", "!=", ">", ">=", "<", "<=", "is not null"]
    value: Any = None

    def __str__(self) -> str:
        value = "" if self.operator == "is not null" else f" {self.value!r}"
        return f"{self.column} {self.operator}{value}"


def where(*conditions: Where) -> dict[str, tuple[Where, ...]]:
    """Restrict an expectation to the rows matching every condition (GX ``row_condition``)."""
    return {"row_condition": conditions}


STAGE_NAMES = ValuesOf("salesforce/OpportunityStage", "ApiName")
PLAN_IDS = ValuesOf("sales_ops/comp_plans", "plan_id")
USER_IDS = ValuesOf("salesforce/User", "Id")
HRIS_EMPLOYEE_IDS = ValuesOf("hris/workers", "employee_id")
OPPORTUNITY_TYPES = ValuesOf("salesforce/Opportunity", "Type")

# Factors the survey tool is set up with. The contract allows other factor names, so another
# name is only a warning; it mostly catches a mis-typed `eNPS`, whose answers would silently be
# read as a 1-5 factor and drop out of eNPS.
SURVEY_FACTORS = ("eNPS", "Satisfaction", "Engagement", "Growth")
ENPS = Where("factor", "==", "eNPS")
OTHER_FACTORS = (Where("factor", "!=", "eNPS"), Where("factor", "is not null"))


def tier_records(*set_columns: str) -> Frame:
    """The records of a tier table whose tier sets are the rows of one ``set_columns`` value
    (a plan's tiers, a scenario's tiers of a plan)."""
    window = f"over (partition by {', '.join(set_columns)} order by floor_attainment)"
    return records(
        *not_null("rate_multiplier"),
        *non_negative("floor_attainment", "rate_multiplier"),
        in_set("plan_id", PLAN_IDS),
        error(
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A="ceiling_attainment",
            column_B="floor_attainment",
            ignore_row_if="either_value_is_missing",
        ),
        # Tiers of a set, by floor, are contiguous: each starts where the previous one ends,
        # and only the last one may be open-ended (an empty ceiling). The loader rejects a file's
        # broken set (ROW_RULES); this catches sets that two files break together.
        equal("floor_attainment", "previous_ceiling"),
        error(
            "expect_column_values_to_not_be_null",
            column="previous_ceiling",
            **where(Where("tier_number", ">", 1)),
        ),
        # Bookings below a first floor above 0 earn nothing: a threshold, or a lost row.
        between("floor_attainment", 0, 0, "warning", **where(Where("tier_number", "==", 1))),
        computed={
            "tier_number": f"row_number() {window}",
            "previous_ceiling": f"lag(ceiling_attainment) {window}",
        },
    )


# ------------------------------------------------------------------------------ raw objects
# Every suite also gets (from the contract, see ``raw_suite``): the required columns present
# and typed as the contract says, and the key not null and unique among the current records
# (error).

RAW_SUITES: dict[str, tuple[Frame, ...]] = {
    "salesforce/User": (
        records(
            # dim_reps joins HRIS on it: two users with one employee number double a rep.
            warning("expect_column_values_to_be_unique", column="EmployeeNumber"),
            in_set("ManagerId", USER_IDS, "warning"),
            *not_null("IsActive", severity="warning"),
        ),
    ),
    "salesforce/Account": (records(*not_null("OwnerId", severity="warning")),),
    "salesforce/OpportunityStage": (
        records(
            # ApiName is what Opportunity.StageName refers to; SortOrder orders the funnel;
            # IsClosed / IsWon decide won and lost everywhere downstream.
            *not_null("ApiName", "SortOrder", "IsClosed", "IsWon"),
            error("expect_column_values_to_be_unique", column="ApiName"),
            enumeration("salesforce/OpportunityStage", "ForecastCategoryName"),
            between("DefaultProbability", 0, 100),
            in_set("IsClosed", [True], **where(Where("IsWon", "==", True))),
        ),
    ),
    "salesforce/Opportunity": (
        records(
            *not_null("StageName", "CreatedDate"),
            in_set("StageName", STAGE_NAMES),
            enumeration("salesforce/Opportunity", "ForecastCategoryName"),
            between("Amount", 0, None),
            between("Probability", 0, 100),
            in_set("IsClosed", [True], **where(Where("IsWon", "==", True))),
            # An opportunity without owner, amount or close date drops out of some marts.
            *not_null("OwnerId", "Amount", "CloseDate", severity="warning"),
        ),
    ),
    "salesforce/OpportunityHistory": (
        records(
            *not_null("OpportunityId", "StageName", "CreatedDate"),
            in_set("StageName", STAGE_NAMES),
            enumeration("salesforce/OpportunityHistory", "ForecastCategory"),
            between("Amount", 0, None),
            between("Probability", 0, 100),
        ),
    ),
    "salesforce/OpportunitySplit": (
        records(
            *not_null("OpportunityId", "SplitOwnerId", "SplitPercentage"),
            between("SplitPercentage", 0, 100),
        ),
        # Revenue splits credit 100 % of a live opportunity; a cent of rounding is tolerated.
        Frame(
            "split_totals",
            sql="""
                select
                    splits."OpportunityId",
                    count(*) as split_rows,
                    sum(splits."SplitPercentage") as split_percentage_total
                from {salesforce/OpportunitySplit} as splits
                inner join {salesforce/Opportunity} as opportunities
                    on splits."OpportunityId" = opportunities."Id"
                group by splits."OpportunityId"
                order by splits."OpportunityId"
            """,
            expectations=(between("split_percentage_total", 99.99, 100.01),),
            row_id=("OpportunityId", "split_rows"),
        ),
    ),
    "salesforce/Lead": (records(*not_null("OwnerId", "CreatedDate", severity="warning")),),
    "salesforce/Task": (
        records(
            enumeration("salesforce/Task", "TaskSubtype"),
            # An activity's time is coalesce(CompletedDateTime, CreatedDate).
            *not_null("OwnerId", "CreatedDate", severity="warning"),
        ),
    ),
    "salesforce/Event": (
        records(
            *not_null("OwnerId", "StartDateTime", severity="warning"),
            not_before("EndDateTime", "StartDateTime", "warning"),
            *non_negative("DurationInMinutes", severity="warning"),
        ),
    ),
    "hris/workers": (
        records(
            *not_null("hire_date"),
            not_before("termination_date", "hire_date"),
            enumeration("hris/workers", "termination_type"),
            enumeration("hris/workers", "employment_status"),
            # Turnover counts by department and termination date.
            *not_null("department", severity="warning"),
            # A leaver without a last day is counted as employed for ever.
            warning(
                "expect_column_values_to_not_be_null",
                column="termination_date",
                **where(Where("employment_status", "==", "Terminated")),
            ),
        ),
    ),
    "survey/responses": (
        records(
            *not_null("survey_id", "submitted_at"),
            between("score", 0, 10, **where(ENPS)),
            between("score", 1, 5, **where(*OTHER_FACTORS)),
            in_set("factor", list(SURVEY_FACTORS), "warning"),
            # An answer without employee or factor cannot be counted anywhere useful.
            *not_null("employee_id", "factor", severity="warning"),
        ),
    ),
    "enablement/training_assignments": (
        records(
            *not_null("employee_id", "assigned_date", "status"),
            enumeration("enablement/training_assignments", "status"),
            between("score", 0, 100),
            *non_negative("duration_minutes"),
            # completed_at is present exactly when the assignment is Completed.
            error(
                "expect_column_values_to_not_be_null",
                column="completed_at",
                **where(Where("status", "==", "Completed")),
            ),
            error(
                "expect_column_values_to_be_null",
                column="completed_at",
                **where(Where("status", "!=", "Completed")),
            ),
            not_before("due_date", "assigned_date", "warning"),
            # Training of someone the HRIS does not know reaches no rep.
            in_set("employee_id", HRIS_EMPLOYEE_IDS, "warning"),
        ),
    ),
    "enablement/coaching_sessions": (
        records(
            *not_null("coach_employee_id", "rep_employee_id", "started_at", "status"),
            enumeration("enablement/coaching_sessions", "status"),
            *non_negative("duration_minutes"),
            in_set("coach_employee_id", HRIS_EMPLOYEE_IDS, "warning"),
            in_set("rep_employee_id", HRIS_EMPLOYEE_IDS, "warning"),
        ),
    ),
    "sales_ops/quotas": (
        records(
            *non_negative("quota_amount"),
            in_set("day_of_month", [1]),
            computed={"day_of_month": "extract(day from month_start)"},
        ),
    ),
    "sales_ops/comp_plans": (
        records(
            # Empty cap_multiple means no cap; a cap of 0 or less would pay nothing.
            between("cap_multiple", 0, None, strict_min=True),
            *non_negative("clawback_days"),
        ),
    ),
    "sales_ops/comp_plan_tiers": (tier_records("plan_id"),),
    "sales_ops/plan_assignments": (
        records(
            *not_null("plan_id", "effective_start", "quarterly_target_incentive"),
            in_set("plan_id", PLAN_IDS),
            not_before("effective_end", "effective_start"),
            *non_negative("quarterly_target_incentive"),
        ),
    ),
    "sales_ops/spiffs": (
        records(
            *not_null("start_date", "end_date", "amount_per_deal"),
            # A type no opportunity has pays nothing: a typo, most likely.
            in_set("opportunity_type", OPPORTUNITY_TYPES, "warning"),
            *not_null("spiff_name", severity="warning"),
        ),
    ),
    "sales_ops/comp_periods": (
        records(
            # A quarter is paid and locked from its close date: without one it never locks.
            *not_null("close_date"),
            in_set("day_of_month", [1]),
            computed={"day_of_month": "extract(day from quarter_start)"},
        ),
    ),
    "sales_ops/plan_scenarios": (
        records(
            # A scenario of a plan that does not exist models nothing.
            *not_null("plan_id"),
            in_set("plan_id", PLAN_IDS),
            between("cap_multiple", 0, None, strict_min=True),
            *non_negative("clawback_days"),
            *not_null("scenario_name", severity="warning"),
        ),
    ),
    "sales_ops/plan_scenario_tiers": (
        tier_records("scenario_id", "plan_id"),
        # Tiers of a scenario and plan that plan_scenarios does not list change nothing.
        Frame(
            "scenario_keys",
            sql="""
                select tiers.scenario_id, tiers.plan_id, count(*) as tiers,
                    count(scenarios.scenario_id) as listed
                from {sales_ops/plan_scenario_tiers} as tiers
                left join {sales_ops/plan_scenarios} as scenarios
                    on tiers.scenario_id = scenarios.scenario_id
                    and tiers.plan_id = scenarios.plan_id
                group by tiers.scenario_id, tiers.plan_id
                order by tiers.scenario_id, tiers.plan_id
            """,
            expectations=(equal("listed", "tiers"),),
            row_id=("scenario_id", "plan_id"),
        ),
    ),
}


def schema_frame(obj: SourceObject) -> Frame:
    """The raw table's columns against the contract: one row per contract column."""
    contract = ", ".join(
        f"('{name}', '{dtype}', {position})"
        for position, (name, dtype) in enumerate(obj.typed_columns.items(), start=1)
    )
    sql = f"""
        select contract.column_name, contract.contract_type, actual.data_type as warehouse_type
        from (values {contract}) as contract (column_name, contract_type, position)
        left join information_schema.columns as actual
            on actual.table_schema = '{RAW_SCHEMA}'
            and actual.table_name = '{obj.table}'
            and actual.column_name = contract.column_name
        order by contract.position
    """
    return Frame(
        "schema",
        (
            # A required column missing from the raw table.
            *not_null("warehouse_type"),
            # Typed as the contract says, so every loaded value parsed as its type.
            equal("warehouse_type", "contract_type"),
        ),
        sql=sql,
        row_id=("column_name",),
    )


def key_expectations(key: tuple[str, ...]) -> tuple[Expectation, ...]:
    unique = (
        error("expect_column_values_to_be_unique", column=key[0])
        if len(key) == 1
        else error("expect_compound_columns_to_be_unique", column_list=list(key))
    )
    return (*not_null(*key), unique)


def raw_suite(obj: SourceObject) -> tuple[Frame, ...]:
    """The frames of a raw object's suite: schema, current records (key first), the rest."""
    declared = RAW_SUITES.get(obj.folder, ())
    own = next((f for f in declared if f.name == "records"), records())
    others = tuple(f for f in declared if f.name != "records")
    own = Frame(
        own.name,
        (*key_expectations(obj.key), *own.expectations),
        computed=own.computed,
        row_id=(*obj.key, "_source_file", "_source_line"),
    )
    return (schema_frame(obj), own, *others)
