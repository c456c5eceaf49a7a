"""A commission statement page as a test reads it: its data attributes and visible text."""

from decimal import Decimal
from html.parser import HTMLParser


class StatementPage(HTMLParser):
    """The data attributes of a statement page: summary fields (with the lock's), line rows
    (booking, clawback, SPIFF with its program) with their fields, tier parts and text, the
    adjusted quarters it pays with their fields and deal-level changes, and the text a reader
    sees."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.rows: list[dict] = []
        self.body: dict[str, str] = {}
        self.text: list[str] = []
        # adjusted quarter -> its fields (locked_amount, recomputed_amount, ...)
        self.adjustments: dict[str, dict[str, str]] = {}
        self.adjustment_total: str | None = None
        # the deal-level changes behind the adjustments, and their total per adjusted quarter
        self.line_changes: list[dict] = []
        self.changes_totals: dict[str, str] = {}
        # on a locked statement: paying quarter -> the adjustment it pays to this quarter
        self.adjusted_in: dict[str, str] = {}
        self._row: dict | None = None
        self._fields: dict[str, str] | None = None
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
            self._fields = self._row["fields"]
        if tag == "tr" and "data-adjustment" in a:
            self._fields = self.adjustments.setdefault(a["data-adjustment"], {})
        if tag == "tr" and "data-line-change" in a:
            self._row = {
                "adjusted_quarter_start": a["data-line-change"],
                "line_type": a["data-change-line-type"],
                "opportunity_id": a["data-opportunity-id"],
                "spiff_id": a.get("data-spiff-id") or None,
                "fields": {},
                "parts": {},
                "text": [],
            }
            self.line_changes.append(self._row)
            self._fields = self._row["fields"]
        if "data-adjustment-total" in a:
            self.adjustment_total = a["data-value"]
        if "data-changes-total" in a:
            self.changes_totals[a["data-changes-total"]] = a["data-value"]
        if "data-adjusted-in" in a:
            self.adjusted_in[a["data-adjusted-in"]] = a["data-value"]
        if "data-tier-part" in a and self._row is not None:
            self._row["parts"][int(a["data-tier-part"])] = (
                Decimal(a["data-amount"]),
                Decimal(a["data-commission"]),
            )
        if "data-field" in a and "data-value" in a:
            target = self._fields if self._fields is not None else self.fields
            target[a["data-field"]] = a["data-value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
            self._fields = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row is not None:
            self._row["text"].append(data)

    def lines(self, line_type: str) -> dict[str, dict]:
        return {r["opportunity_id"]: r for r in self.rows if r["line_type"] == line_type}


def decimal_or_none(value: str) -> Decimal | None:
    return Decimal(value) if value != "" else None
