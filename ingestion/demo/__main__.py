"""``python -m ingestion.demo``: write deterministic demo exports into the landing folder."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from ingestion.demo.generator import existing_csvs, generate
from spm_common.settings import (
    AS_OF_DATE_VARIABLE,
    LANDING_DIR_VARIABLE,
    ConfigurationError,
    env_value,
    parse_date,
)


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from exc


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.demo",
        description=(
            "Generate deterministic demo exports (Salesforce, HRIS, survey, sales ops, enablement)."
        ),
    )
    parser.add_argument(
        "--scale",
        type=_positive,
        default=None,
        help="volume multiplier; 1 is about 50 reps over two years (default 1)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(env_value(LANDING_DIR_VARIABLE)),
        help="landing folder (default $SPM_LANDING_DIR or data/landing)",
    )
    parser.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="date the data leads up to (default $SPM_AS_OF_DATE or today, UTC)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--if-empty", action="store_true", help="do nothing when the folder already holds CSV files"
    )
    mode.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the files this generator writes (others are left alone)",
    )
    mode.add_argument(
        "--next-night",
        action="store_true",
        help=(
            "add the next night's drop to a generated folder (new files only): a 1 %% delta, "
            "a late won deal, a changed split and a corrected quota in closed quarters; dated "
            "the day after the folder's last Salesforce extract"
        ),
    )
    args = parser.parse_args(argv)
    if args.next_night:
        if args.scale is not None or args.as_of is not None:
            parser.error("--next-night takes no --scale or --as-of (it follows the folder)")
        return args
    args.scale = 1.0 if args.scale is None else args.scale
    if args.as_of is None:
        # The same rule as the pipeline's, and an error that names the variable.
        try:
            env_as_of = parse_date(AS_OF_DATE_VARIABLE, env_value(AS_OF_DATE_VARIABLE))
        except ConfigurationError as error:
            parser.error(str(error))
        args.as_of = env_as_of or date.fromisoformat(_today())
    return args


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    if args.next_night:
        return _next_night(out, args.seed)
    existing = existing_csvs(out)
    if existing and args.if_empty:
        print(f"{out} already holds {len(existing)} CSV file(s): leaving it as it is (--if-empty)")
        return 0
    if existing and not args.overwrite:
        print(
            f"error: {out} already holds {len(existing)} CSV file(s), e.g. {existing[0]}; "
            "pass --overwrite to replace the generated ones or --if-empty to skip",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    counts = generate(
        out, scale=args.scale, seed=args.seed, as_of=args.as_of, overwrite=args.overwrite
    )
    elapsed = time.perf_counter() - started
    print(f"demo data in {out} (seed {args.seed}, scale {args.scale:g}, as of {args.as_of})")
    width = max(len(folder) for folder in counts)
    for folder, rows in counts.items():
        print(f"  {folder:<{width}}  {rows:>10,}")
    print(f"  {'total':<{width}}  {sum(counts.values()):>10,}  rows in {elapsed:.1f} s")
    return 0


def _next_night(out: Path, seed: int) -> int:
    from ingestion.demo.delta import next_night, write_next_night  # DuckDB: only when asked

    try:
        drop = write_next_night(out, next_night(out), seed)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"next-night drop for {drop.night} in {out} (seed {seed}): {drop.rows:,} rows")
    for path in drop.files:
        print(f"  {path.relative_to(out)}")
    print("closed quarters it changes (the commission the next run recomputes):")
    for hit in drop.hits:
        way = "up" if hit.sign > 0 else "down"
        print(
            f"  {hit.change:<16} employee {hit.employee_id}, {hit.quarter}: {way}  ({hit.detail})"
        )
    print(f"run the pipeline again (SPM_AS_OF_DATE={drop.night} for the night's date)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
