"""The raw-source gate: each raw object's Great Expectations suite as a blocking asset check.

One check named ``great_expectations`` per raw object (``raw/<source>/<object>``), its suite
declared beside the source contract (``ingestion/expectations.py``). The checks are the specs
of one multi-asset check, so a run validates every selected suite in one Dagster step,
``raw_great_expectations``: it opens the working DuckDB once (read-only), computes each frame of
an object's current records once (a ``ValuesOf`` value set once per run), runs the suites with
GX's SQL engine in DuckDB in one GX context, writes the Data Docs pages of all suites in one
build and reports, per object, the check result (``results.py``):

- passed when no expectation failed; else severity ERROR when an error-level expectation failed,
  WARN when only warnings failed;
- metadata: the failed expectations (column, severity, observed value), a sample of failing
  rows with the file and line they came from, counts, and a link to the suite's GX Data Docs
  page written under ``<warehouse folder>/gx_data_docs/``.

Blocking: after reporting every result, Dagster fails the step when any blocking check failed
with severity ERROR, so nothing downstream of the raw objects runs (the dbt models, one step
that reads every raw object, then publish). Selecting some raw objects runs only their suites.

A suite that cannot run at all (a table missing, a SQL or GX error) fails its own check with
severity ERROR and says why; the other suites still run and report. A Data Docs build that
fails is logged and leaves the results without their link. Rules about models are dbt tests,
checks of the dbt assets.
"""

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import dagster as dg

from ingestion.contract import OBJECTS, OBJECTS_BY_FOLDER, SourceObject
from ingestion.expectations import Frame, raw_suite
from orchestration.defs.quality import results
from orchestration.defs.quality.results import CHECK_NAME, check_result, crashed_result
from orchestration.defs.resources import SpmSettings
from orchestration.lib.dagster.keys import raw_asset_key
from orchestration.lib.quality import verdicts
from orchestration.lib.quality.frames import (
    ValueSets,
    objects_read,
    read_batches,
    warehouse_connection,
)
from orchestration.lib.quality.runner import SuiteResult, build_docs, run_suite
from spm_common.settings import duckdb_memory_limit

STEP_NAME = "raw_great_expectations"
DOCS_FOLDER = "gx_data_docs"
SLOWEST_LOGGED = 3
# Besides the quality package: how a verdict is reported is part of what it depends on.
ENGINE_SOURCES = (Path(results.__file__),)


def docs_dir(settings: SpmSettings) -> Path:
    return settings.warehouse_path.parent / DOCS_FOLDER


def raw_suite_name(obj: SourceObject) -> str:
    """``raw.salesforce.opportunity``: the asset key, dotted."""
    return ".".join(raw_asset_key(obj.source, obj.name).path)


def check_key(obj: SourceObject) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(raw_asset_key(obj.source, obj.name), CHECK_NAME)


# ------------------------------------------------------------------------------ running


Outcome = SuiteResult | verdicts.Verdict | Exception


def tables_read(obj: SourceObject) -> list[str]:
    """The raw tables an object's suite reads: its own and those of other objects it names."""
    frames = raw_suite(obj)
    return sorted({obj.table, *(OBJECTS_BY_FOLDER[f].table for f in objects_read(frames))})


def _validate_all(
    settings: SpmSettings, objects: Sequence[SourceObject], kept: Mapping[str, verdicts.Verdict]
) -> tuple[dict[str, Outcome], dict[str, str], dict[str, float]]:
    """Each object's suite result (or the kept verdict, when nothing it reads changed; or the
    exception that kept it from running), the fingerprints of those validated, and times."""
    outcomes: dict[str, Outcome] = {}
    fingerprints: dict[str, str] = {}
    seconds: dict[str, float] = {}
    values: ValueSets = {}
    try:
        with warehouse_connection(settings.warehouse_path, duckdb_memory_limit()) as con:
            for obj in objects:
                start = time.perf_counter()
                suite = raw_suite_name(obj)
                try:
                    batches = read_batches(con, obj, raw_suite(obj), values)
                    current = verdicts.fingerprint(con, tables_read(obj), batches, ENGINE_SOURCES)
                    previous = kept.get(suite)
                    if (
                        previous is not None
                        and previous.fingerprint == current
                        and previous.docs_page_exists()
                    ):
                        outcomes[obj.folder] = previous
                    else:
                        outcomes[obj.folder] = run_suite(suite, batches, docs_dir(settings))
                        fingerprints[obj.folder] = current
                except Exception as exc:  # a suite that cannot run fails its check, loudly
                    outcomes[obj.folder] = exc
                seconds[obj.folder] = time.perf_counter() - start
    except Exception as exc:  # the warehouse could not be opened: no suite ran
        for obj in objects:
            outcomes.setdefault(obj.folder, exc)
    return outcomes, fingerprints, seconds


def run_raw_checks(
    settings: SpmSettings,
    objects: Iterable[SourceObject],
    log: logging.Logger | dg.DagsterLogManager | None = None,
) -> list[dg.AssetCheckResult]:
    """The ``great_expectations`` results of the objects' suites, Data Docs written once; a
    suite with nothing new to validate reports its kept verdict (``verdicts.py``)."""
    log = log or dg.get_dagster_logger()
    objects = list(objects)
    kept = verdicts.read(docs_dir(settings))
    outcomes, fingerprints, seconds = _validate_all(settings, objects, kept)
    validated = [o for o in outcomes.values() if isinstance(o, SuiteResult)]
    start = time.perf_counter()
    docs_written = True
    try:
        build_docs(validated, docs_dir(settings))
    except Exception as exc:  # the verdicts stand without their pages
        docs_written = False
        log.warning(f"Great Expectations Data Docs not written: {type(exc).__name__}: {exc}")
    slowest = sorted(seconds, key=seconds.__getitem__, reverse=True)[:SLOWEST_LOGGED]
    log.info(
        f"{len(objects)} raw suites: {len(validated)} validated, "
        f"{sum(isinstance(o, verdicts.Verdict) for o in outcomes.values())} unchanged, "
        f"in {sum(seconds.values()):.1f} s "
        f"(slowest: {', '.join(f'{folder} {seconds[folder]:.1f} s' for folder in slowest)}), "
        f"Data Docs in {time.perf_counter() - start:.1f} s"
    )
    results = []
    for obj in objects:
        outcome, key = outcomes[obj.folder], raw_asset_key(obj.source, obj.name)
        if isinstance(outcome, verdicts.Verdict):
            results.append(outcome.result(key, CHECK_NAME))
        elif isinstance(outcome, SuiteResult):
            results.append(check_result(key, outcome))
            if docs_written:  # else validated again next time, for its page
                kept = {
                    **kept,
                    raw_suite_name(obj): verdicts.Verdict.of(fingerprints[obj.folder], results[-1]),
                }
        else:
            results.append(crashed_result(key, raw_suite_name(obj), outcome))
    verdicts.write(docs_dir(settings), kept)
    return results


# ------------------------------------------------------------------------------- checks


def _description(suite: str, frames: Sequence[Frame]) -> str:
    errors = sum(e.severity == "error" for f in frames for e in f.expectations)
    warnings = sum(e.severity == "warning" for f in frames for e in f.expectations)
    return (
        f"Great Expectations suite `{suite}` ({errors} error-level, {warnings} warning-level "
        f"expectations over {', '.join(f.name for f in frames)}; declared in "
        "ingestion/expectations.py). Error-level failures block publish."
    )


def raw_check_spec(obj: SourceObject) -> dg.AssetCheckSpec:
    frames = raw_suite(obj)
    deps = [
        raw_asset_key(OBJECTS_BY_FOLDER[f].source, OBJECTS_BY_FOLDER[f].name)
        for f in sorted(objects_read(frames) - {obj.folder})
    ]
    return dg.AssetCheckSpec(
        CHECK_NAME,
        asset=raw_asset_key(obj.source, obj.name),
        blocking=True,
        additional_deps=deps,
        description=_description(raw_suite_name(obj), frames),
    )


RAW_CHECK_SPECS: Mapping[str, dg.AssetCheckSpec] = {
    obj.folder: raw_check_spec(obj) for obj in OBJECTS
}


@dg.multi_asset_check(
    name=STEP_NAME,
    specs=list(RAW_CHECK_SPECS.values()),
    can_subset=True,
    description=(
        "The Great Expectations suite of every selected raw object, in one step: one GX "
        "context, one read of each object, one Data Docs build; a result per object."
    ),
)
def raw_great_expectations(
    context: dg.AssetCheckExecutionContext, settings: SpmSettings
) -> Iterator[dg.AssetCheckResult]:
    selected = context.selected_asset_check_keys
    yield from run_raw_checks(
        settings, [o for o in OBJECTS if check_key(o) in selected], context.log
    )
