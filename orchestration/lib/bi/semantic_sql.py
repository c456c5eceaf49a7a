"""MetricFlow's metrics as plain SQL aggregates over one table, for BI tools that define
metrics themselves (Superset). Read from ``dbt_project/target/semantic_manifest.json``.

Each metric is translated once: simple = agg(expr) with its filter, ratio =
numerator / nullif(denominator, 0), derived = its expression over its inputs' SQL. A metric that
cannot be one aggregate over one table (cumulative, time offsets, inputs from two models)
raises ``UnsupportedMetric`` and is left to the tool's own options. A semi-additive measure
(``non_additive_dimension``) sums the rows of its dimension's last (or first) value in the group,
per window grouping (e.g. each employee's latest draw balance) when it has some.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from spm_common.paths import DBT_PROJECT_DIR

SEMANTIC_MANIFEST = DBT_PROJECT_DIR / "target" / "semantic_manifest.json"
AGGREGATIONS = {
    "sum": "sum({})",
    "average": "avg({})",
    "max": "max({})",
    "min": "min({})",
    "count": "count({})",
    "count_distinct": "count(distinct {})",
    "sum_boolean": "sum(cast({} as integer))",
    "median": "median({})",
}

TEMPLATE_REF = re.compile(
    r"\{\{\s*(Dimension|TimeDimension)\(\s*'([a-z0-9_]+)'\s*(?:,\s*'[a-z]+'\s*)?\)\s*\}\}"
)


class UnsupportedMetric(ValueError):
    """A metric Superset cannot express as one aggregate over one dataset."""


@dataclass
class SemanticLayer:
    models: dict[str, dict]
    metrics: dict[str, dict]
    # measure name -> (semantic model name, measure)
    measures: dict[str, tuple[str, dict]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = SEMANTIC_MANIFEST) -> "SemanticLayer":
        manifest = json.loads(path.read_text())
        layer = cls(
            models={m["name"]: m for m in manifest["semantic_models"]},
            metrics={m["name"]: m for m in manifest["metrics"]},
        )
        for model in manifest["semantic_models"]:
            for measure in model["measures"]:
                layer.measures[measure["name"]] = (model["name"], measure)
        return layer

    def dimension_model(self, entity: str) -> dict | None:
        """The model without measures whose primary entity is ``entity`` (e.g. dim_reps)."""
        for model in self.models.values():
            primary = {e["name"] for e in model["entities"] if e["type"] == "primary"}
            if entity in primary and not model["measures"]:
                return model
        return None

    def joins(self, model: dict) -> list[tuple[str, str, dict]]:
        """(entity, its column here, dimension model) for each dimension table to join."""
        joins = []
        for entity in model["entities"]:
            target = self.dimension_model(entity["name"])
            column = entity["expr"] or entity["name"]
            if entity["type"] in ("foreign", "unique") and target and column.isidentifier():
                joins.append((entity["name"], column, target))
        return joins

    def dimension_columns(self, model: dict) -> dict[str, str]:
        """Every dimension a filter may name, as ``entity__dim`` or ``dim``: its column here."""
        columns: dict[str, str] = {}
        entities = {model.get("primary_entity")} | {e["name"] for e in model["entities"]}
        for dim in model["dimensions"]:
            for entity in entities - {None}:
                columns[f"{entity}__{dim['name']}"] = dim["expr"] or dim["name"]
            columns[dim["name"]] = dim["expr"] or dim["name"]
        for entity, _, target in self.joins(model):
            for dim in target["dimensions"]:
                if dim["expr"] is None:
                    columns[f"{entity}__{dim['name']}"] = f"{entity}__{dim['name']}"
        return columns

    def filter_sql(self, model_name: str, filters: Iterable[dict | None]) -> list[str]:
        """MetricFlow where-filters (Jinja) as SQL over the dataset's columns."""
        columns = self.dimension_columns(self.models[model_name])
        clauses = []
        for where in filters:
            for item in (where or {}).get("where_filters", []):

                def column(match: re.Match) -> str:
                    name = match.group(2)
                    if name not in columns:
                        raise UnsupportedMetric(f"filter names {name}, not a column here")
                    return columns[name]

                sql = TEMPLATE_REF.sub(column, item["where_sql_template"])
                if "{{" in sql:
                    raise UnsupportedMetric(f"filter not translated: {item['where_sql_template']}")
                clauses.append(f"({sql})")
        return clauses

    def measure_row_sql(self, measure_name: str, filters: list[str]) -> str:
        """The row-level expression a measure aggregates, NULL where a filter excludes a row."""
        _, measure = self.measures[measure_name]
        expr = measure["expr"] or measure["name"]
        if filters:
            return f"case when {' and '.join(filters)} then {expr} end"
        return expr

    def measure_sql(self, measure_name: str, filters: list[str]) -> str:
        model_name, measure = self.measures[measure_name]
        if measure["agg"] not in AGGREGATIONS:
            raise UnsupportedMetric(f"aggregation {measure['agg']} of {measure_name}")
        row = self.measure_row_sql(measure_name, filters)
        semi = measure["non_additive_dimension"]
        if semi:
            if measure["agg"] != "sum":
                raise UnsupportedMetric(f"non-additive {measure_name}: only sum")
            model = self.models[model_name]
            dim = self.dimension_columns(model)[semi["name"]]
            pick = "max" if semi["window_choice"] == "max" else "min"
            if not semi["window_groupings"]:
                # The sum over the rows of the group's last (or first) value of the dimension,
                # e.g. the latest snapshot: a semi-additive measure, in one aggregate expression.
                return (
                    f"list_sum([s.v for s in list({{'d': {dim}, 'v': {row}}}) "
                    f"if s.d = {pick}({dim})])"
                )
            # With window groupings (e.g. the employee), each grouping's own last (or first)
            # value: an employee's latest balance counts even where others have later rows.
            keys = "[" + ", ".join(self.entity_column(model, e) for e in semi["window_groupings"])
            keys += "]"
            return (
                f"list_sum([s.v for s in list({{'d': {dim}, 'g': {keys}, 'v': {row}}}) "
                f"if s.d = list_{pick}([x.d for x in list({{'d': {dim}, 'g': {keys}}}) "
                "if x.g is not distinct from s.g])])"
            )
        return AGGREGATIONS[measure["agg"]].format(row)

    @staticmethod
    def entity_column(model: dict, entity: str) -> str:
        """The column of one of the model's entities."""
        for item in model["entities"]:
            if item["name"] == entity:
                column = item["expr"] or item["name"]
                if not column.isidentifier():
                    raise UnsupportedMetric(f"window grouping {entity} is an expression")
                return column
        raise UnsupportedMetric(f"window grouping {entity} is not an entity of {model['name']}")

    def metric_model(self, name: str) -> str:
        """The semantic model (dataset) a metric is computed on; all inputs must share it."""
        metric = self.metrics[name]
        models = {self.measures[m["name"]][0] for m in metric["type_params"]["input_measures"]}
        if len(models) != 1:
            raise UnsupportedMetric(f"{name} spans models {sorted(models)}")
        return models.pop()

    def metric_sql(self, name: str, extra_filters: tuple[dict | None, ...] = ()) -> str:
        """One Superset SQL expression for the metric, over its model's dataset."""
        metric = self.metrics[name]
        params = metric["type_params"]
        filters = (metric["filter"], *extra_filters)
        kind = metric["type"]
        if kind == "simple":
            model = self.metric_model(name)
            measure = params["measure"]
            where = self.filter_sql(model, (*filters, measure["filter"]))
            return self.measure_sql(measure["name"], where)
        if kind == "ratio":
            numerator = self._input_sql(params["numerator"], filters)
            denominator = self._input_sql(params["denominator"], filters)
            return f"({numerator}) / nullif({denominator}, 0)"
        if kind == "derived":
            inputs = {
                (item["alias"] or item["name"]): self._input_sql(item, filters)
                for item in params["metrics"]
            }
            pattern = re.compile(
                r"\b(" + "|".join(sorted(map(re.escape, inputs), key=len, reverse=True)) + r")\b"
            )
            expression = " ".join(params["expr"].split())
            return pattern.sub(lambda m: f"({inputs[m.group(1)]})", expression)
        raise UnsupportedMetric(f"{name} is {kind}: use Superset's cumulative options instead")

    def _input_sql(self, item: dict, filters: tuple[dict | None, ...]) -> str:
        if item.get("offset_window") or item.get("offset_to_grain"):
            raise UnsupportedMetric(f"{item['name']} with a time offset")
        return self.metric_sql(item["name"], (*filters, item["filter"]))

    def translated_metrics(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """({model: {metric: sql}}, {metric: why it was left out})."""
        by_model: dict[str, dict[str, str]] = {}
        skipped = {}
        for name in sorted(self.metrics):
            try:
                sql = self.metric_sql(name)
                by_model.setdefault(self.metric_model(name), {})[name] = sql
            except UnsupportedMetric as error:
                skipped[name] = str(error)
        return by_model, skipped
