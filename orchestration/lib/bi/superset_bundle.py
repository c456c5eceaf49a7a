"""The Superset import bundle (a zip of YAML: databases/, datasets/, charts/, dashboards/),
built from the semantic layer (``orchestration/lib/bi/semantic_sql.py``) and the dashboard specs in
``bi/dashboards/*.yml``, which name metrics and dimensions only, never SQL.

Datasets: one per semantic model, physical table ``marts.<model>``; a model with a foreign
``rep`` entity becomes a virtual dataset joining ``dim_reps`` so charts filter by
``rep__rep_name`` and ``rep__department``, MetricFlow's names. Every uuid is derived from a name,
so a re-import overwrites what an earlier import made.
"""

import json
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchestration.lib.bi.semantic_sql import SemanticLayer, UnsupportedMetric
from orchestration.lib.dbt.project import spm_dbt_project
from spm_common.paths import PROJECT_ROOT
from spm_common.schemas import MARTS_SCHEMA

DASHBOARD_SPECS = PROJECT_ROOT / "bi" / "dashboards"
DEFAULT_BUNDLE = PROJECT_ROOT / "data" / "superset" / "spm_dashboards.zip"
DATABASE_NAME = "SPM marts (read-only)"
VERSION = "1.0.0"
NAMESPACE = uuid.UUID("5b0f3b8e-3c1a-4f7e-9a43-9d1c0b6e2a10")

TYPES = {"string": "VARCHAR", "integer": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE"}
TEMPORAL_TYPES = ("date", "timestamp")
GRAINS = {"day": "P1D", "week": "P1W", "month": "P1M", "quarter": "P3M", "year": "P1Y"}


def stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{name}"))


# --- datasets ---------------------------------------------------------------------------------


def model_columns(manifest: dict) -> dict[str, dict[str, dict]]:
    """{model name: {column: {data_type, description}}} from dbt's manifest (the contracts)."""
    return {
        node["name"]: node["columns"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def column_type(data_type: str | None) -> str:
    data_type = (data_type or "varchar").lower()
    return TYPES.get(data_type, data_type.upper())


def d3_format(metric_name: str) -> str | None:
    if metric_name.endswith("_rate"):
        return ".1%"
    if metric_name.endswith("_ratio"):
        return ",.2f"
    return None


def _column(name: str, data_type: str, description: str | None, expression: str | None = None):
    return {
        "column_name": name,
        "verbose_name": None,
        "is_dttm": data_type.lower().startswith(TEMPORAL_TYPES),
        "is_active": True,
        "type": data_type,
        "advanced_data_type": None,
        "groupby": True,
        "filterable": True,
        "expression": expression,
        "description": (description or "").strip() or None,
        "python_date_format": None,
        "extra": None,
    }


def joined_label(entity: str, dimension: str) -> str:
    """`rep`, `rep_name` -> "Rep name"; `rep`, `department` -> "Rep department"."""
    words = dimension.removeprefix(f"{entity}_").replace("_", " ")
    return f"{entity.capitalize()} {words}"


def dataset_sql(layer: SemanticLayer, model: dict) -> str | None:
    """The dataset's SQL: None for the table itself, else the table joined to its dimensions."""
    joins = layer.joins(model)
    if not joins:
        return None
    table = model["node_relation"]["alias"]
    select = ["t.*"]
    sources = [f"{MARTS_SCHEMA}.{table} as t"]
    for entity, column, target in joins:
        key = next(e for e in target["entities"] if e["name"] == entity)
        select += [
            f"{entity}.{d['name']} as {entity}__{d['name']}"
            for d in target["dimensions"]
            if d["expr"] is None
        ]
        sources.append(
            f"left join {MARTS_SCHEMA}.{target['node_relation']['alias']} as {entity} "
            f"on {entity}.{key['expr'] or key['name']} = t.{column}"
        )
    return "select\n    " + ",\n    ".join(select) + "\nfrom " + "\n".join(sources)


def build_datasets(
    layer: SemanticLayer, manifest: dict, database_uuid: str
) -> dict[str, dict[str, Any]]:
    """One Superset dataset per semantic model, with its translated metrics."""
    columns_of = model_columns(manifest)
    metrics, _ = layer.translated_metrics()
    datasets = {}
    for name, model in layer.models.items():
        table = model["node_relation"]["alias"]
        physical = columns_of.get(table, {})
        columns = [
            _column(c, column_type(v.get("data_type")), v.get("description"))
            for c, v in physical.items()
        ]
        for dim in model["dimensions"]:
            if dim["expr"] and dim["name"] not in physical:
                kind = "DATE" if dim["type"] == "time" else "VARCHAR"
                columns.append(_column(dim["name"], kind, dim["description"], dim["expr"]))
        for entity, _, target in layer.joins(model):
            target_columns = columns_of.get(target["node_relation"]["alias"], {})
            for dim in target["dimensions"]:
                if dim["expr"] is None:
                    spec = target_columns.get(dim["name"], {})
                    column = _column(
                        f"{entity}__{dim['name']}",
                        column_type(spec.get("data_type")),
                        spec.get("description"),
                    )
                    column["verbose_name"] = joined_label(entity, dim["name"])
                    columns.append(column)
        dataset_metrics = [
            {
                "metric_name": metric,
                "verbose_name": layer.metrics[metric]["label"],
                "metric_type": None,
                "expression": sql,
                "description": (layer.metrics[metric]["description"] or "").strip() or None,
                "d3format": d3_format(metric),
                "currency": None,
                "extra": None,
                "warning_text": None,
            }
            for metric, sql in sorted(metrics.get(name, {}).items())
        ]
        datasets[name] = {
            "table_name": name,
            "main_dttm_col": (model.get("defaults") or {}).get("agg_time_dimension"),
            "description": (model["description"] or "").strip() or None,
            "default_endpoint": None,
            "offset": 0,
            "cache_timeout": None,
            "catalog": None,
            "schema": MARTS_SCHEMA,
            "sql": dataset_sql(layer, model),
            "params": None,
            "template_params": None,
            "filter_select_enabled": True,
            "fetch_values_predicate": None,
            "extra": None,
            "normalize_columns": False,
            "always_filter_main_dttm": False,
            "uuid": stable_uuid("dataset", name),
            "columns": columns,
            "metrics": dataset_metrics,
            "version": VERSION,
            "database_uuid": database_uuid,
        }
    return datasets


def steps_dataset(
    layer: SemanticLayer, base: dict[str, Any], name: str, steps: list[str]
) -> dict[str, Any]:
    """A long dataset for a waterfall: one row per base row and step, the step's signed amount.

    Each step is a simple sum metric of the base model, ``-name`` to subtract it.
    """
    parts = []
    source = f"({base['sql']})" if base["sql"] else f"{MARTS_SCHEMA}.{base['table_name']}"
    for number, step in enumerate(steps, start=1):
        sign, metric = ("-", step[1:]) if step.startswith("-") else ("", step)
        definition = layer.metrics[metric]
        if definition["type"] != "simple":
            raise UnsupportedMetric(f"waterfall step {metric} is not a simple metric")
        measure = definition["type_params"]["measure"]["name"]
        where = layer.filter_sql(base["table_name"], (definition["filter"],))
        label = f"{number}. {definition['label']}".replace("'", "''")
        row = layer.measure_row_sql(measure, where)
        parts.append(
            f"select t.*, '{label}' as step, cast({sign}({row}) as double) as step_amount "
            f"from {source} t"
        )
    columns = [c for c in base["columns"] if c["expression"] is None] + [
        _column("step", "VARCHAR", "The waterfall step (numbered in order)."),
        _column("step_amount", "DOUBLE", "The step's signed amount."),
    ]
    metric = {
        "metric_name": "step_amount",
        "verbose_name": "Amount",
        "metric_type": None,
        "expression": "sum(step_amount)",
        "description": "Sum of the steps' signed amounts.",
        "d3format": None,
        "currency": None,
        "extra": None,
        "warning_text": None,
    }
    return {
        **base,
        "table_name": name,
        "description": f"Waterfall steps of {base['table_name']}: {', '.join(steps)}.",
        "sql": "\nunion all\n".join(parts),
        "uuid": stable_uuid("dataset", name),
        "columns": columns,
        "metrics": [metric],
    }


# --- charts and dashboards --------------------------------------------------------------------


def time_filter(column: str | None) -> list[dict]:
    if not column:
        return []
    return [
        {
            "clause": "WHERE",
            "comparator": "No filter",
            "expressionType": "SIMPLE",
            "operator": "TEMPORAL_RANGE",
            "subject": column,
        }
    ]


def chart_params(spec: dict, dataset: dict) -> tuple[str, dict]:
    """(viz_type, params) of a chart spec."""
    kind = spec["type"]
    params: dict[str, Any] = {
        "adhoc_filters": time_filter(dataset["main_dttm_col"]),
        "time_range": spec.get("time_range", "No filter"),
        "extra_form_data": {},
        "annotation_layers": [],
        "row_limit": spec.get("row_limit", 10000),
    }
    number_format = spec.get("format", "SMART_NUMBER")
    if kind == "big_number_total":
        params |= {
            "metric": spec["metric"],
            "y_axis_format": number_format,
            "header_font_size": 0.4,
            "subheader_font_size": 0.15,
            "subtitle": spec.get("subtitle", ""),
        }
        return "big_number_total", params
    if kind == "big_number":
        params |= {
            "metric": spec["metric"],
            "x_axis": spec["x"],
            "time_grain_sqla": GRAINS[spec.get("grain", "month")],
            "y_axis_format": number_format,
            "show_trend_line": True,
            "start_y_axis_at_zero": True,
            "header_font_size": 0.4,
            "subheader_font_size": 0.15,
            "time_format": "smart_date",
        }
        return "big_number", params
    if kind in ("line", "bar"):
        params |= {
            "metrics": spec["metrics"],
            "x_axis": spec["x"],
            "groupby": spec.get("groupby", []),
            "y_axis_format": number_format,
            "show_legend": True,
            "legendOrientation": "top",
            "legendType": "scroll",
            "rich_tooltip": True,
            "truncate_metric": True,
            "x_axis_time_format": "smart_date",
            "tooltipTimeFormat": "smart_date",
            "x_axis_sort_asc": True,
            "y_axis_bounds": [None, None],
        }
        if spec["x"] in [c["column_name"] for c in dataset["columns"] if c["is_dttm"]]:
            params["time_grain_sqla"] = GRAINS[spec.get("grain", "month")]
        if kind == "bar":
            params |= {
                "orientation": "vertical",
                "stack": "Stack" if spec.get("stack") else None,
                "show_value": False,
            }
            if "sort_by" in spec:
                params |= {"x_axis_sort": spec["sort_by"], "x_axis_sort_asc": False}
            return "echarts_timeseries_bar", params
        params |= {"markerEnabled": True, "markerSize": 5}
        return "echarts_timeseries_line", params
    if kind == "table":
        params |= {
            "query_mode": "aggregate",
            "groupby": spec.get("groupby", []),
            "metrics": spec["metrics"],
            "all_columns": [],
            "percent_metrics": [],
            "order_by_cols": [],
            # order_by sorts descending (the largest first) unless the spec says order_desc: false
            "order_desc": spec.get("order_desc", True),
            "server_page_length": spec.get("page_length", 10),
            "table_timestamp_format": "%Y-%m-%d",
            "show_cell_bars": False,
            "color_pn": False,
            "allow_render_html": False,
            "timeseries_limit_metric": spec.get("order_by"),
            "column_config": {m: {"d3NumberFormat": f} for m, f in spec.get("formats", {}).items()},
        }
        if spec.get("time_grain"):
            params["time_grain_sqla"] = GRAINS[spec["time_grain"]]
        return "table", params
    if kind == "funnel":
        params |= {
            "groupby": [spec["by"]],
            "metric": spec["metric"],
            "sort_by_metric": True,
            "number_format": number_format,
            "percent_calculation_type": "first_step",
            "show_labels": True,
            "show_legend": False,
            "show_tooltip_labels": True,
            "tooltip_label_type": 5,
            "label_type": "key_value_percent",
        }
        return "funnel", params
    if kind == "waterfall":
        params |= {
            "x_axis": "step",
            "metric": "step_amount",
            "groupby": [],
            "show_value": True,
            "y_axis_format": number_format,
            "x_ticks_layout": "auto",
            "x_axis_time_format": "smart_date",
        }
        return "waterfall", params
    raise ValueError(f"unknown chart type {kind!r}")


def chart_metrics(spec: dict) -> list[str]:
    """The MetricFlow metrics a chart spec names."""
    names = list(spec.get("metrics", [])) + ([spec["metric"]] if "metric" in spec else [])
    names += [s.lstrip("-") for s in spec.get("steps", [])]
    return names


def chart_columns(spec: dict) -> list[str]:
    names = [spec[k] for k in ("x", "by") if k in spec]
    return names + list(spec.get("groupby", []))


def spec_problems(layer: SemanticLayer, datasets: dict[str, dict], specs: dict[str, dict]):
    """Every metric a chart names must be a translated metric of one dataset, every column
    one of that dataset's columns. Returns a list of problems (empty when all is well)."""
    _, skipped = layer.translated_metrics()
    problems = []
    for slug, dashboard in specs.items():
        for row in dashboard["rows"]:
            for chart in row:
                where = f"{slug}: chart {chart['name']!r}"
                names = chart_metrics(chart)
                models = set()
                for name in names:
                    if name not in layer.metrics:
                        problems.append(f"{where}: no MetricFlow metric {name!r}")
                    elif name in skipped:
                        problems.append(f"{where}: {name} cannot be translated: {skipped[name]}")
                    else:
                        models.add(layer.metric_model(name))
                if len(models) > 1:
                    problems.append(f"{where}: metrics of several models {sorted(models)}")
                if len(models) == 1:
                    columns = {c["column_name"] for c in datasets[models.pop()]["columns"]}
                    problems += [
                        f"{where}: no column {c!r}"
                        for c in chart_columns(chart)
                        if c not in columns
                    ]
    return problems


def position(title: str, rows: list[list[tuple[str, dict, int]]]) -> dict:
    """The dashboard grid: one ROW per spec row, charts left to right (12 columns wide)."""
    layout: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
        "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
        "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": title}, "type": "HEADER"},
    }
    for number, row in enumerate(rows):
        row_id = f"ROW-{number}"
        layout["GRID_ID"]["children"].append(row_id)
        layout[row_id] = {
            "children": [],
            "id": row_id,
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
            "parents": ["ROOT_ID", "GRID_ID"],
            "type": "ROW",
        }
        for chart_uuid, spec, chart_id in row:
            key = f"CHART-{chart_uuid[:8]}"
            layout[row_id]["children"].append(key)
            layout[key] = {
                "children": [],
                "id": key,
                "meta": {
                    "chartId": chart_id,
                    "height": spec.get("height", 50),
                    "sliceName": spec["name"],
                    "uuid": chart_uuid,
                    "width": spec.get("width", 4),
                },
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "type": "CHART",
            }
    return layout


def native_filter(kind: str, name: str, column: str | None, dataset_uuid: str | None) -> dict:
    filter_id = "NATIVE_FILTER-" + stable_uuid("filter", f"{name}/{column}")[:12]
    target = {"column": {"name": column}, "datasetUuid": dataset_uuid} if column else {}
    control = {"enableEmptyFilter": False}
    if kind == "filter_select":
        control |= {
            "multiSelect": True,
            "searchAllOptions": False,
            "inverseSelection": False,
            "defaultToFirstItem": False,
        }
    return {
        "id": filter_id,
        "name": name,
        "filterType": kind,
        "type": "NATIVE_FILTER",
        "targets": [target],
        "controlValues": control,
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
        "description": "",
    }


def load_specs(folder: Path = DASHBOARD_SPECS) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yml"))}


def build_bundle(
    layer: SemanticLayer, manifest: dict, specs: dict[str, dict], bi_database: Path
) -> dict[str, dict]:
    """Every file of the bundle: {path inside the zip: YAML content}."""
    database_uuid = stable_uuid("database", DATABASE_NAME)
    datasets = build_datasets(layer, manifest, database_uuid)
    problems = spec_problems(layer, datasets, specs)
    if problems:
        raise ValueError("bi/dashboards do not match the semantic layer:\n" + "\n".join(problems))
    files: dict[str, dict] = {
        "metadata.yaml": {
            "version": VERSION,
            "type": "Dashboard",
            "timestamp": "2026-01-01T00:00:00+00:00",
        },
        "databases/spm_marts.yaml": {
            "database_name": DATABASE_NAME,
            # Readers never write; a publish swaps the file in by rename, and Superset opens a
            # new connection per query (NullPool), so the next query reads the new marts.
            "sqlalchemy_uri": f"duckdb:///{bi_database.resolve()}",
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_csv_upload": False,
            "extra": {
                "engine_params": {"connect_args": {"read_only": True}},
                "metadata_params": {},
                "schemas_allowed_for_csv_upload": [],
            },
            "uuid": database_uuid,
            "version": VERSION,
        },
    }
    # Every semantic model's dataset, charted or not, so every metric can be explored.
    used: dict[str, dict] = dict(datasets)
    chart_number = 0
    for slug, dashboard in specs.items():
        rows = []
        for row in dashboard["rows"]:
            placed = []
            for spec in row:
                chart_number += 1
                if spec["type"] == "waterfall":
                    base = datasets[layer.metric_model(spec["steps"][0].lstrip("-"))]
                    dataset = steps_dataset(
                        layer, base, f"{base['table_name']}_steps", spec["steps"]
                    )
                else:
                    dataset = datasets[layer.metric_model(chart_metrics(spec)[0])]
                used[dataset["table_name"]] = dataset
                viz_type, params = chart_params(spec, dataset)
                chart_uuid = stable_uuid("chart", f"{slug}/{spec['name']}")
                params |= {"viz_type": viz_type}
                files[f"charts/{slug}_{chart_number:02d}.yaml"] = {
                    "slice_name": spec["name"],
                    "description": spec.get("description"),
                    "certified_by": None,
                    "certification_details": None,
                    "viz_type": viz_type,
                    "params": params,
                    "query_context": None,
                    "cache_timeout": None,
                    "uuid": chart_uuid,
                    "version": VERSION,
                    "dataset_uuid": dataset["uuid"],
                }
                placed.append((chart_uuid, spec, chart_number))
            rows.append(placed)
        filters = []
        for kind, name, column in dashboard_filters(dashboard):
            # The filter's values come from the first charted dataset with that column.
            charted = [
                datasets[layer.metric_model(chart_metrics(chart)[0])]
                for row in dashboard["rows"]
                for chart in row
            ]
            target = next(
                (d["uuid"] for d in charted if column in {c["column_name"] for c in d["columns"]}),
                None,
            )
            filters.append(native_filter(kind, name, column, target))
        files[f"dashboards/{slug}.yaml"] = {
            "dashboard_title": dashboard["title"],
            "description": dashboard.get("description"),
            "css": "",
            "slug": slug,
            "certified_by": None,
            "certification_details": None,
            "published": True,
            "uuid": stable_uuid("dashboard", slug),
            "position": position(dashboard["title"], rows),
            "metadata": {
                "native_filter_configuration": filters,
                "color_scheme": "supersetColors",
                "refresh_frequency": 0,
                "expanded_slices": {},
                "label_colors": {},
                "timed_refresh_immune_slices": [],
                "cross_filters_enabled": False,
                "default_filters": "{}",
                "chart_configuration": {},
                "global_chart_configuration": {
                    "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                    "chartsInScope": [],
                },
            },
            "version": VERSION,
        }
    for name, dataset in used.items():
        files[f"datasets/spm_marts/{name}.yaml"] = dataset
    return files


@dataclass(frozen=True)
class ProjectBundle:
    """The bundle of this repository's dbt project and dashboard specs, with its inputs."""

    files: dict[str, dict]
    layer: SemanticLayer
    specs: dict[str, dict]


def project_bundle(bi_database: Path) -> ProjectBundle:
    """The bundle for ``bi_database``, from the dbt project's manifests (parsed first when a
    file dbt parses changed since the last parse) and ``bi/dashboards/*.yml``."""
    target = spm_dbt_project().manifest_path.parent
    layer = SemanticLayer.load(target / "semantic_manifest.json")
    manifest = json.loads((target / "manifest.json").read_text())
    specs = load_specs()
    return ProjectBundle(build_bundle(layer, manifest, specs, bi_database), layer, specs)


def dashboard_filters(dashboard: dict) -> list[tuple[str, str, str | None]]:
    """(filter type, label, column): the quarter (each chart's time column), team and rep."""
    spec = dashboard.get("filters", {})
    filters = [("filter_time", "Quarter", None)]
    if spec.get("team"):
        filters.append(("filter_select", "Team", spec["team"]))
    if spec.get("rep"):
        filters.append(("filter_select", "Rep", spec["rep"]))
    return filters


def write_bundle(files: dict[str, dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in files.items():
            text = yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
            bundle.writestr(f"spm_dashboards/{name}", text)
