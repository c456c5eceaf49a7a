"""Accounts: the customers and prospects opportunities belong to."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

from ingestion.demo import people as org
from ingestion.demo import text
from ingestion.demo.fmt import DAY, HOUR, day_number, sf_bool, sf_datetime
from ingestion.demo.ids import IdFactory
from ingestion.demo.timeline import Timeline, random_date, work_ts
from ingestion.demo.users import Roster, User
from ingestion.demo.versions import Row, Version

ACCOUNT_EXTRAS = (
    ("CurrencyIsoCode", "Name"),
    ("NumberOfEmployees", "Industry"),
    ("Description", "BillingCountry"),
    ("LastModifiedDate", ""),
    ("Demo_Case__c", ""),
)
CUSTOMER = "Customer - Direct"
# Always present, whatever the seed: names that need CSV quoting.
_AWKWARD_NAMES = (
    "Smith, Jones & Partners",
    'The "Original" Bakery Co.',
    "Northwind Traders\nEMEA Division",
    'Byrne & O\'Neil, "Legal" LLP',
)


@dataclass
class Account:
    id: str
    name: str
    owner: User
    segment: str
    industry: str
    kind: str
    country: str
    created: int
    employees: int
    owner_changes: list[tuple[int, User]] = field(default_factory=list)
    first_won: int | None = None
    deleted_at: int | None = None
    case: str = ""


class AccountBook:
    """Creates accounts and hands out existing ones per segment."""

    def __init__(self, rng: random.Random, ids: IdFactory, tl: Timeline, roster: Roster):
        self.rng = rng
        self.ids = ids
        self.tl = tl
        self.roster = roster
        self.accounts: list[Account] = []
        self.existing: dict[str, list[Account]] = {"ENT": [], "MM": []}

    def create(
        self,
        ts: int,
        segment: str,
        name: str | None = None,
        kind: str = "",
        owner: User | None = None,
    ) -> Account:
        rng = self.rng
        owner = owner or self.roster.pick(rng, max(ts, self.tl.start_ts), org.AE, segment=segment)
        account = Account(
            id=self.ids.new("Account"),
            name=name or text.company_name(rng),
            owner=owner,
            segment=segment,
            industry=rng.choice(text.INDUSTRIES),
            kind=kind or rng.choice(("Prospect", "Prospect", CUSTOMER, "Customer - Channel")),
            country=rng.choice(text.COUNTRIES),
            created=ts,
            employees=rng.randint(1000, 50000) if segment == "ENT" else rng.randint(50, 999),
        )
        self.accounts.append(account)
        return account

    def seed(self, scale: float) -> None:
        """Accounts that exist before the window starts."""
        rng, tl = self.rng, self.tl
        for i in range(max(20, round(600 * scale))):
            day = random_date(rng, tl.start - timedelta(days=4 * 365), tl.start)
            segment = "ENT" if rng.random() < 0.4 else "MM"
            name = _AWKWARD_NAMES[i] if i < len(_AWKWARD_NAMES) else None
            account = self.create(work_ts(rng, day_number(day)), segment, name=name)
            self.existing[segment].append(account)

    def any(self, segment: str) -> Account:
        return self.rng.choice(self.existing[segment])

    def add_duplicate(self) -> None:
        """A duplicate created by mistake and deleted (no opportunities point to it)."""
        tl = self.tl
        original = self.existing["MM"][0]
        created = tl.extracts[0] + DAY
        dup = self.create(created, "MM", name=f"{original.name} (duplicate)", kind="Prospect")
        dup.deleted_at = tl.extracts[1] + DAY
        dup.case = "deleted_duplicate"

    def reassign_departed(self) -> None:
        """Accounts of reps who left go to a colleague in the same segment."""
        for account in self.accounts:
            owner = account.owner
            while owner.deactivated is not None and owner.deactivated <= self.tl.now:
                ts = owner.deactivated + HOUR
                owner = self.roster.pick(
                    self.rng, ts, org.AE, segment=account.segment, exclude=(owner.id,)
                )
                account.owner_changes.append((ts, owner))


def account_versions(account: Account) -> list[Version]:
    row: Row = {
        "Id": account.id,
        "Name": account.name,
        "CurrencyIsoCode": "USD",
        "OwnerId": account.owner.id,
        "Industry": account.industry,
        "NumberOfEmployees": str(account.employees),
        "Type": account.kind,
        "BillingCountry": account.country,
        "CreatedDate": sf_datetime(account.created),
        "IsDeleted": sf_bool(False),
        "Demo_Case__c": account.case,
    }
    versions: list[Version] = [(account.created, row)]
    versions += [(ts, {"OwnerId": user.id}) for ts, user in account.owner_changes]
    if account.first_won is not None and account.kind != CUSTOMER:
        versions.append((account.first_won + 600, {"Type": CUSTOMER}))
    if account.deleted_at is not None:
        versions.append((account.deleted_at, {"IsDeleted": sf_bool(True)}))
    return sorted(versions, key=lambda v: v[0])


def touch_account(rng: random.Random) -> Row:
    return {"Description": text.note(rng) or "Updated by territory review, FY planning"}
