"""Opportunity, OpportunityHistory and OpportunitySplit records as timed versions."""

from __future__ import annotations

import random
from collections.abc import Iterator

from ingestion.demo import text
from ingestion.demo.fmt import DAY, hundredths, money, sf_bool, sf_date, sf_datetime
from ingestion.demo.ids import IdFactory
from ingestion.demo.opportunities import Opp, Step
from ingestion.demo.stages import forecast_api_name
from ingestion.demo.versions import Row, Version

OPPORTUNITY_EXTRAS = (
    ("CurrencyIsoCode", "Name"),
    ("ExpectedRevenue", "Probability"),
    ("NextStep", "LeadSource"),
    ("Description", "ForecastCategoryName"),
    ("CreatedById", "CreatedDate"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
HISTORY_EXTRAS = (("ExpectedRevenue", "Probability"), ("CreatedById", "CreatedDate"))
SPLIT_EXTRAS = (("CurrencyIsoCode", "SplitPercentage"), ("SplitAmount", "SplitPercentage"))


def _expected(step: Step) -> str:
    return "" if step.amount is None else money(step.amount * step.probability // 100)


def _state(step: Step, forecast: str) -> Row:
    """The Opportunity fields a step sets; ``forecast`` is the category label at that step."""
    return {
        "StageName": step.stage.name,
        "Amount": money(step.amount),
        "Probability": str(step.probability),
        "ExpectedRevenue": _expected(step),
        "CloseDate": sf_date(step.close_date),
        "IsClosed": sf_bool(step.stage.is_closed),
        "IsWon": sf_bool(step.stage.is_won),
        "ForecastCategoryName": forecast,
    }


def opportunity_versions(opp: Opp, overrides: bool = True) -> list[Version]:
    """The record's versions; without ``overrides``, as if no forecast category had been
    overridden and no pipeline movement added (what the writer draws its random choices from)."""
    base: Row = {
        "Id": opp.id,
        "AccountId": opp.account.id,
        "OwnerId": opp.owner.id,
        "Name": opp.name,
        "CurrencyIsoCode": "USD",
        "Type": opp.kind,
        "LeadSource": opp.lead_source,
        "Description": opp.description,
        "CreatedDate": sf_datetime(opp.created),
        "CreatedById": opp.owner.id,
        "IsDeleted": sf_bool(False),
        "Demo_Case__c": opp.case or opp.forecast_case or opp.movement_case,
    }
    steps = opp.steps if overrides or opp.original_steps is None else opp.original_steps
    forecasts = opp.forecasts() if overrides else [step.stage.forecast for step in steps]
    versions: list[Version] = [(steps[0].ts, base | _state(steps[0], forecasts[0]))]
    versions += [
        (step.ts, _state(step, forecast))
        for step, forecast in zip(steps[1:], forecasts[1:], strict=True)
    ]
    # An override edits the Opportunity only: no history row.
    if overrides:
        versions += [(ts, {"ForecastCategoryName": label}) for ts, label in opp.forecast_overrides]
    versions += [(ts, {"OwnerId": user.id}) for ts, user in opp.owner_changes]
    if opp.deleted_at is not None:
        versions.append((opp.deleted_at, {"IsDeleted": sf_bool(True)}))
    return sorted(versions, key=lambda v: v[0])


class HistoryEdits:
    """A few history rows inside a stint get a later data fix (amount rounded) or are deleted:
    never the first, last or a closing row, so stints and the opportunity's final state stay
    as they were. The first two candidates are edited inside the delta window for sure."""

    def __init__(self, rng: random.Random, extracts: tuple[int, ...], rate: float) -> None:
        self.rng = rng
        self.extracts = extracts
        self.rate = rate
        self.forced = 0

    def edit(self, step: Step) -> Version | None:
        rng, (full, *middle, now) = self.rng, self.extracts
        if step.ts > full - 2 * DAY:
            return None
        if self.forced < 2:
            # A fix in the first delta (so a later delta can replay the older version), and a
            # deletion in the last one.
            self.forced += 1
            first_delta = middle[0] if middle else now
            if self.forced == 1:
                return self._change(rng.randint(full + 60, first_delta - 60), step, delete=False)
            return self._change(rng.randint(first_delta + 60, now - 60), step, delete=True)
        if rng.random() >= self.rate:
            return None
        early = rng.random() < 0.5
        ts = rng.randint(step.ts + DAY, full) if early else rng.randint(full - 2 * DAY, now)
        return self._change(ts, step, delete=rng.random() < 0.3)

    @staticmethod
    def _change(ts: int, step: Step, delete: bool) -> Version:
        if delete:
            return ts, {"IsDeleted": sf_bool(True)}
        amount = step.amount or 0
        fixed = round(amount / 100_000) * 100_000
        return ts, {"Amount": money(fixed if fixed != amount else amount + 100_000)}


def history_versions(opp: Opp, ids: IdFactory, edits: HistoryEdits) -> Iterator[list[Version]]:
    """One row per step; none for an opportunity migrated without its history. The forecast
    category is written as its API name, as it was at the step (overrides included). Rows
    added by pipeline movements take ids from the later range and are never edited; the other
    rows are edited as they would be without them."""
    if not opp.has_history:
        return
    steps = opp.steps
    forecasts = opp.forecasts()
    original = [s for s in steps if not s.added]
    i = -1
    for step, forecast in zip(steps, forecasts, strict=True):
        state = _state(step, forecast)
        row: Row = {
            "Id": ids.later("OpportunityHistory") if step.added else ids.new("OpportunityHistory"),
            "OpportunityId": opp.id,
            "StageName": state["StageName"],
            "Amount": state["Amount"],
            "Probability": state["Probability"],
            "ExpectedRevenue": state["ExpectedRevenue"],
            "CloseDate": state["CloseDate"],
            "ForecastCategory": forecast_api_name(state["ForecastCategoryName"]),
            "CreatedDate": sf_datetime(step.ts),
            "CreatedById": opp.owner_at(step.ts).id,
            "IsDeleted": sf_bool(False),
        }
        versions: list[Version] = [(step.ts, row)]
        if step.added:
            yield versions
            continue
        i += 1
        inside = (
            0 < i < len(original) - 1
            and not opp.case
            and opp.deleted_at is None
            and original[i - 1].stage is step.stage is original[i + 1].stage
            and step.amount is not None
        )
        edit = edits.edit(step) if inside else None
        if edit is not None:
            versions.append(edit)
        yield versions


def split_versions(opp: Opp, split_type: str) -> Iterator[list[Version]]:
    amount = opp.final.amount or 0
    for index, split in enumerate(opp.splits):
        row: Row = {
            "Id": split.id,
            "OpportunityId": opp.id,
            "SplitOwnerId": split.owner.id,
            "SplitPercentage": hundredths(split.share),
            "SplitAmount": money(amount * split.share // 10_000),
            "CurrencyIsoCode": "USD",
            "SplitTypeId": split_type,
            "IsDeleted": sf_bool(False),
        }
        versions: list[Version] = [(opp.split_created, row)]
        if split.follows_owner:
            for ts, user in opp.owner_changes:
                if ts <= opp.split_created:
                    row["SplitOwnerId"] = user.id
                else:
                    versions.append((ts, {"SplitOwnerId": user.id}))
        if opp.split_change is not None:
            ts, shares = opp.split_change
            versions.append(
                (
                    ts,
                    {
                        "SplitPercentage": hundredths(shares[index]),
                        "SplitAmount": money(amount * shares[index] // 10_000),
                    },
                )
            )
        yield sorted(versions, key=lambda v: v[0])


def touch_opportunity(rng: random.Random) -> Row:
    return {
        "NextStep": rng.choice(
            (
                "Send MSA",
                "Follow up, re: pricing",
                'Book "exec sponsor" call',
                "Security review\nthen legal",
            )
        )
    }


def touch_description(rng: random.Random) -> Row:
    return {"Description": text.note(rng) or "Reviewed in weekly pipeline call"}
