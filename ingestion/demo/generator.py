"""``generate()``: the whole demo landing folder for one (seed, scale, as_of)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingestion.contract import OBJECTS
from ingestion.demo import (
    activities,
    commission_cases,
    enablement,
    forecast,
    hris,
    movements,
    sales_ops,
    survey,
)
from ingestion.demo.accounts import ACCOUNT_EXTRAS, AccountBook, account_versions, touch_account
from ingestion.demo.activities import ActivityWriter, Contacts
from ingestion.demo.deals import OpportunityFactory
from ingestion.demo.fmt import DAY
from ingestion.demo.ids import IdFactory, stream
from ingestion.demo.leads import LEAD_EXTRAS, Lead, LeadFactory, lead_versions, touch_lead
from ingestion.demo.opportunities import Opp
from ingestion.demo.opportunity_rows import (
    HISTORY_EXTRAS,
    OPPORTUNITY_EXTRAS,
    SPLIT_EXTRAS,
    HistoryEdits,
    history_versions,
    opportunity_versions,
    split_versions,
    touch_description,
    touch_opportunity,
)
from ingestion.demo.people import Person, build_workforce
from ingestion.demo.stages import STAGE_EXTRAS, stage_versions
from ingestion.demo.timeline import Timeline, make_timeline
from ingestion.demo.users import (
    USER_EXTRAS,
    Roster,
    build_roster,
    role_ids,
    touch_user,
    user_versions,
)
from ingestion.demo.versions import Row
from ingestion.demo.writer import Landing, SalesforceWriter, header, is_generated


@dataclass
class Crm:
    ids: IdFactory
    roster: Roster
    book: AccountBook
    deals: OpportunityFactory
    leads: list[Lead]
    # The commission cases' deals (last in ``deals.opps``; their activities come last too).
    case_deals: list[Opp]


def generate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 42,
    as_of: date,
    overwrite: bool = False,
) -> dict[str, int]:
    """Write the demo exports under ``out_dir``; return data rows written per object folder.

    Refuses a folder that already holds CSV files unless ``overwrite``, which first removes the
    files this generator names (and nothing else).
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out_dir = Path(out_dir)
    if existing_csvs(out_dir):
        if not overwrite:
            raise FileExistsError(f"{out_dir} already holds CSV files (use overwrite)")
        remove_generated(out_dir)
    landing = Landing(out_dir)
    try:
        _generate(landing, make_timeline(as_of), seed, scale)
    except BaseException:
        landing.discard()
        raise
    counts = landing.commit()
    return {o.folder: counts.get(o.folder, 0) for o in OBJECTS}


def existing_csvs(root: Path) -> list[Path]:
    return sorted(root.rglob("*.csv")) if root.is_dir() else []


def remove_generated(root: Path) -> list[Path]:
    removed = []
    for obj in OBJECTS:
        folder = root / obj.folder
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if is_generated(obj.name, path.name):
                    path.unlink()
                    removed.append(path)
    return removed


def _generate(landing: Landing, tl: Timeline, seed: int, scale: float) -> None:
    workforce = build_workforce(stream(seed, "people"), tl, scale)
    plans = sales_ops.build_plans(
        stream(seed, "plans"), workforce, tl, stream(seed, "plans:retroactive")
    )
    crm = _build_crm(tl, seed, scale, workforce, plans)
    commission_cases.set_draws(plans, crm.deals.opps, crm.roster, tl)
    _write_salesforce(landing, tl, seed, crm)
    _write_hris(landing, tl, workforce)
    _write_survey(landing, seed, tl, workforce)
    _write_sales_ops(landing, seed, tl, workforce, plans)
    _write_enablement(landing, seed, tl, workforce)


def _build_crm(
    tl: Timeline, seed: int, scale: float, workforce: list[Person], plans: sales_ops.PlanBook
) -> Crm:
    ids = IdFactory()
    roster = build_roster(stream(seed, "users"), ids, tl, workforce)
    book = AccountBook(stream(seed, "accounts"), ids, tl, roster)
    book.seed(scale)
    deals = OpportunityFactory(stream(seed, "opportunities"), ids, tl, roster, book, plans)
    leads = LeadFactory(stream(seed, "leads"), ids, tl, roster, book, deals).build()
    deals.direct()
    deals.scripted_cases()
    deals.add_splits()
    deals.reassign_departed()
    deals.delete_some()
    deals.mark_customers()
    case_deals = commission_cases.add_deals(stream(seed, "commission-cases"), deals, plans, tl)
    forecast.add_overrides(stream(seed, "forecast-overrides"), deals.opps, tl)
    movements.add_movements(stream(seed, "pipeline-movements"), deals.opps, tl)
    book.add_duplicate()
    book.reassign_departed()
    return Crm(ids, roster, book, deals, leads, case_deals)


@dataclass(frozen=True)
class ExtractSpec:
    """How one Salesforce object is exported: its extra columns, and how often a record is
    edited around the extracts (touch) or re-sent in an older version (stale)."""

    extras: Sequence[tuple[str, str]]
    touch: Callable[[random.Random], Row] | None = None
    touch_rate: float = 0.0
    stale_rate: float = 0.0
    full_only: bool = False


SALESFORCE_EXTRACTS: dict[str, ExtractSpec] = {
    "OpportunityStage": ExtractSpec(STAGE_EXTRAS, full_only=True),
    "User": ExtractSpec(USER_EXTRAS, touch_user, 0.05, 0.3),
    "Account": ExtractSpec(ACCOUNT_EXTRAS, touch_account, 0.01, 0.2),
    "Opportunity": ExtractSpec(OPPORTUNITY_EXTRAS, touch_opportunity, 0.01, 0.02),
    "OpportunityHistory": ExtractSpec(HISTORY_EXTRAS, stale_rate=0.3),
    "OpportunitySplit": ExtractSpec(SPLIT_EXTRAS, stale_rate=0.2),
    "Lead": ExtractSpec(LEAD_EXTRAS, touch_lead, 0.01, 0.02),
    "Task": ExtractSpec(activities.TASK_EXTRAS, touch_description, 0.002, 0.02),
    "Event": ExtractSpec(activities.EVENT_EXTRAS, touch_description, 0.003, 0.05),
}


def _salesforce_writers(landing: Landing, tl: Timeline, seed: int) -> dict[str, SalesforceWriter]:
    return {
        name: SalesforceWriter(
            landing,
            name,
            tl.extracts[:1] if spec.full_only else tl.extracts,
            stream(seed, f"write:{name}"),
            spec.extras,
            spec.touch,
            spec.touch_rate,
            spec.stale_rate,
        )
        for name, spec in SALESFORCE_EXTRACTS.items()
    }


def _write_salesforce(landing: Landing, tl: Timeline, seed: int, crm: Crm) -> None:
    w = _salesforce_writers(landing, tl, seed)
    ids, roster = crm.ids, crm.roster
    for versions in stage_versions(ids):
        w["OpportunityStage"].add(versions)
    roles = role_ids(ids)
    for user in [*roster.users, roster.integration]:
        w["User"].add(user_versions(user, roster, roles))
    for account in crm.book.accounts:
        w["Account"].add(account_versions(account))
    edits = HistoryEdits(stream(seed, "history-edits"), tl.extracts, 0.05)
    split_type = ids.new("OpportunitySplitType")
    for opp in crm.deals.opps:
        changed = opp.forecast_overrides or opp.original_steps is not None
        plain = opportunity_versions(opp, overrides=False) if changed else None
        w["Opportunity"].add(opportunity_versions(opp), plain)
        for versions in history_versions(opp, ids, edits):
            w["OpportunityHistory"].add(versions)
        for versions in split_versions(opp, split_type):
            w["OpportunitySplit"].add(versions)
    for lead in crm.leads:
        w["Lead"].add(lead_versions(lead))
    aw = ActivityWriter(stream(seed, "activities"), ids, tl, w["Task"], w["Event"])
    contacts = Contacts(stream(seed, "contacts"), ids)
    activities.lead_activities(aw, crm.leads)
    late = {o.id for o in crm.case_deals}
    early = [o for o in crm.deals.opps if o.id not in late]
    activities.opportunity_activities(aw, early, roster, contacts)
    activities.account_activities(aw, roster, crm.book, contacts)
    activities.boundary_meetings(aw, roster, crm.book)
    # The commission cases' deals came after everything else, from a stream of their own: so do
    # their activities (every other activity stays as it was).
    aw.rng = stream(seed, "activities:commission-cases")
    activities.opportunity_activities(aw, crm.case_deals, roster, contacts)


def _write_hris(landing: Landing, tl: Timeline, workforce: list[Person]) -> None:
    full, changes = hris.worker_files(workforce, tl)
    columns = header("hris/workers")
    first, second = tl.hris_files
    landing.write_all("hris/workers", "workers", first, "full", columns, full)
    landing.write_all("hris/workers", "workers", second, "changes", columns, changes)


def _write_survey(landing: Landing, seed: int, tl: Timeline, workforce: list[Person]) -> None:
    rng = stream(seed, "survey")
    columns = header("survey/responses")
    waves = survey.waves(tl)
    used: set[str] = set()
    for i, wave in enumerate(waves):
        rows = survey.wave_rows(rng, workforce, wave, used, first=i == 0, last=i == len(waves) - 1)
        landing.write_all(
            "survey/responses", "responses", wave.exported, wave.survey_id, columns, rows
        )


def _write_sales_ops(
    landing: Landing, seed: int, tl: Timeline, workforce: list[Person], plans: sales_ops.PlanBook
) -> None:
    published = tl.start_ts - 20 * DAY
    landing.write_all(
        "sales_ops/comp_plans",
        "comp_plans",
        published,
        "export",
        header("sales_ops/comp_plans"),
        sales_ops.PLANS,
    )
    landing.write_all(
        "sales_ops/comp_plan_tiers",
        "comp_plan_tiers",
        published,
        "export",
        header("sales_ops/comp_plan_tiers"),
        sales_ops.tier_rows(),
    )
    landing.write_all(
        "sales_ops/plan_assignments",
        "plan_assignments",
        tl.hris_files[1],
        "export",
        header("sales_ops/plan_assignments"),
        sales_ops.assignment_rows(plans),
    )
    landing.write_all(
        "sales_ops/spiffs",
        "spiffs",
        tl.hris_files[1],
        "export",
        header("sales_ops/spiffs"),
        sales_ops.spiff_rows(tl),
    )
    landing.write_all(
        "sales_ops/comp_periods",
        "comp_periods",
        tl.hris_files[1],
        "export",
        header("sales_ops/comp_periods"),
        sales_ops.comp_period_rows(tl),
    )
    scenarios_published = tl.hris_files[1] - 10 * DAY
    landing.write_all(
        "sales_ops/plan_scenarios",
        "plan_scenarios",
        scenarios_published,
        "export",
        header("sales_ops/plan_scenarios"),
        sales_ops.SCENARIOS,
    )
    landing.write_all(
        "sales_ops/plan_scenario_tiers",
        "plan_scenario_tiers",
        scenarios_published,
        "export",
        header("sales_ops/plan_scenario_tiers"),
        sales_ops.scenario_tier_rows(),
    )
    quotas = sales_ops.build_quotas(stream(seed, "quotas"), workforce, tl)
    columns = header("sales_ops/quotas")
    landing.write_all(
        "sales_ops/quotas",
        "quotas",
        tl.hris_files[0] - 30 * DAY,
        "plan",
        columns,
        quotas.initial,
    )
    landing.write_all(
        "sales_ops/quotas",
        "quotas",
        tl.hris_files[1] - 5 * DAY,
        "revision",
        columns,
        quotas.revision,
    )


def _write_enablement(landing: Landing, seed: int, tl: Timeline, workforce: list[Person]) -> None:
    items = enablement.build_assignments(stream(seed, "enablement:lms"), workforce, tl)
    full, changes = enablement.assignment_files(items, tl)
    folder = "enablement/training_assignments"
    columns = header(folder)
    first, second = enablement.lms_files(tl)
    landing.write_all(folder, "training_assignments", first, "full", columns, full)
    landing.write_all(folder, "training_assignments", second, "changes", columns, changes)
    sessions = enablement.build_sessions(stream(seed, "enablement:coaching"), workforce, tl)
    landing.write_all(
        "enablement/coaching_sessions",
        "coaching_sessions",
        enablement.coaching_file(tl),
        "export",
        header("enablement/coaching_sessions"),
        sessions,
    )
