"""Names and free text. A share of it carries commas, double quotes and line breaks on
purpose: real exports do, and the loader must round-trip them."""

from __future__ import annotations

import random
import unicodedata

# Data tables: kept compact on purpose.
# fmt: off
FIRST_NAMES = (
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "James", "Isabella", "Lucas",
    "Mia", "Mateo", "Amelia", "Ethan", "Harper", "Aiden", "Evelyn", "Jackson", "Abigail",
    "Sebastian", "Emily", "Jack", "Ella", "Owen", "Chloe", "Samuel", "Zoë", "Henry", "Priya",
    "Wei", "Aisha", "Diego", "Fatima", "Kenji", "Ingrid", "José", "Siobhan", "Raj", "Léa", "Tomás",
    "Hannah", "Ryan", "Grace", "Daniel", "Nora", "David", "Lily", "Carter", "Maya", "Julian",
    "Aria", "Leo", "Chen", "Oluwaseun", "Mariam", "Björn", "Anika", "Marcus",
)
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "O'Brien", "O'Neil", "Nguyen", "Patel", "Kim", "Müller", "Schmidt", "Rossi", "Novak",
    "Kowalski", "Andersson", "Haddad", "Okafor", "Tanaka", "Silva", "Smith-Jones", "McAllister",
    "Dubois", "García-Márquez", "Fischer", "Ivanova", "Cohen", "Byrne", "Larsen", "Reyes",
)
LOCATIONS = ("New York", "San Francisco", "Austin", "Chicago", "London", "Dublin", "Remote - US")

_COMPANY_A = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Cyberdyne", "Tyrell", "Wonka", "Gringotts", "Oscorp", "Massive", "Northwind", "Contoso",
    "Fabrikam", "Tailspin", "Litware", "Adventure", "Blue Yonder", "Proseware", "Woodgrove",
    "Alpine", "Coho", "Fourth Coffee", "Lucerne", "Margie's", "Trey", "Wingtip", "Humongous",
    "Pied Piper", "Aperture", "Black Mesa", "Dunder", "Sterling", "Kramerica", "Bluth",
)
_COMPANY_B = (
    "Industries", "Systems", "Logistics", "Health", "Analytics", "Foods", "Energy", "Labs",
    "Capital", "Retail", "Robotics", "Media", "Insurance", "Manufacturing", "Bank", "Travel",
)
_COMPANY_SUFFIX = (", Inc.", ", LLC", " Ltd.", " GmbH", ", Inc.", " Corp.", "", " S.A.", " plc")

INDUSTRIES = (
    "Technology", "Financial Services", "Healthcare", "Manufacturing", "Retail",
    "Media", "Energy", "Education", "Government", "Transportation", "",
)
COUNTRIES = (
    "United States", "United States", "United States", "United Kingdom", "Germany",
    "Canada", "France", "Ireland", "Netherlands", "Australia", "Brazil", "",
)

PRODUCTS = (
    "Platform", "New Logo", "Expansion", "Renewal", "Analytics Add-on", "Pilot",
    "Enterprise Agreement", "Seats Upsell", "Services", "Migration",
)

# fmt: on


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in ".-"))
    return kept.lower()


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def company_name(rng: random.Random) -> str:
    """About a third carry a comma, some quotes, a few a line break (imported addresses)."""
    base = f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)}"
    roll = rng.random()
    if roll < 0.05:
        return f'The "{rng.choice(_COMPANY_A)}" {rng.choice(_COMPANY_B)} Group'
    if roll < 0.09:
        return f'{base} ("{rng.choice(_COMPANY_A)}")'
    if roll < 0.14:
        return f"{base}\n{rng.choice(('EMEA', 'North America', 'APAC'))} Division"
    if roll < 0.17:
        return f"{rng.choice(_COMPANY_A)}, {rng.choice(_COMPANY_A)} & Partners"
    return base + rng.choice(_COMPANY_SUFFIX)


def short_company(name: str) -> str:
    return name.split("\n")[0].split(",")[0]


def opportunity_name(rng: random.Random, company: str, year: int) -> str:
    product = rng.choice(PRODUCTS)
    roll = rng.random()
    if roll < 0.08:
        return f'{short_company(company)} - "{product}" FY{year % 100}'
    if roll < 0.13:
        return f"{short_company(company)} - {product}\n(multi-year)"
    if roll < 0.25:
        return f"{company} - {product}, {rng.choice((25, 50, 100, 250, 500))} seats"
    return f"{short_company(company)} - {product} FY{year % 100}"


# fmt: off
_CALL_SUBJECTS = (
    "Call", "Call: intro", "Call: follow up on pricing, next steps", 'Call re: "budget" question',
    "Discovery call", "Left voicemail", "Call\nno answer, try again Thursday",
)
_EMAIL_SUBJECTS = (
    "Email: intro", "Email: Re: proposal", 'Email: Re: "Q3 renewal" proposal',
    "Email: case study, pricing sheet", "Email: checking in", "Email: follow-up\nsent deck",
)
_TODO_SUBJECTS = (
    "Send proposal", "Prepare QBR deck", "Update mutual action plan, owners and dates",
    'Review "security questionnaire"', "Send contract\n(redlines from legal)", "Research account",
)
_MEETING_SUBJECTS = (
    "Discovery meeting", "Demo", 'Demo: "Analytics" module', "Pricing review, with procurement",
    "QBR\nAgenda: renewal, expansion", "Executive alignment", "Onsite workshop",
)

# fmt: on


def task_subject(rng: random.Random, subtype: str) -> str:
    pool = {"Call": _CALL_SUBJECTS, "Email": _EMAIL_SUBJECTS}.get(subtype, _TODO_SUBJECTS)
    return rng.choice(pool)


def meeting_subject(rng: random.Random, company: str | None) -> str:
    subject = rng.choice(_MEETING_SUBJECTS)
    if company and rng.random() < 0.5:
        return f"{subject} - {short_company(company)}"
    return subject


# fmt: off
NOTES = (
    "",
    "",
    "",
    "Champion is the VP, Operations; economic buyer not yet engaged.",
    'Customer asked for a "best and final" offer.',
    "Next steps:\n1. Send MSA\n2. Book security review",
    "Budget approved, pending legal review.",
)

# fmt: on


def note(rng: random.Random) -> str:
    return rng.choice(NOTES)
