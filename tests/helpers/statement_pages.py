"""A commission statement page as a test reads it: its data attributes and visible text."""

from decimal import Decimal
from html.parser import HTMLParser


class StatementPage(HTMLParser):
    """The data attributes of a statement page: summary fields, line rows (booking, clawback,
    SPIFF with its program) with their fields, tier parts and text, and the text a reader
    sees."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.rows: list[dict] = []
        self.body: dict[str, str] = {}
        self.text: list[str] = []
        self._row: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.body = a
        if tag == "tr" and "data-line-type" in a:
            self._row = {
                "line_type": a["data-line-type"],
                "opportunity_id": a["data-opportunity-id"],
                "spiff_id": a.get("data-spiff-id") or None,
                "fields": {},
                "parts": {},
                "text": [],
            }
            self.rows.append(self._row)
        if "data-tier-part" in a and self._row is not None:
            self._row["parts"][int(a["data-tier-part"])] = (
                Decimal(a["data-amount"]),
                Decimal(a["data-commission"]),
            )
        if "data-field" in a and "data-value" in a:
            target = self._row["fields"] if self._row is not None else self.fields
            target[a["data-field"]] = a["data-value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row is not None:
            self._row["text"].append(data)

    def lines(self, line_type: str) -> dict[str, dict]:
        return {r["opportunity_id"]: r for r in self.rows if r["line_type"] == line_type}


def decimal_or_none(value: str) -> Decimal | None:
    return Decimal(value) if value != "" else None
