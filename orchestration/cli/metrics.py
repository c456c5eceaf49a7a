"""`python -m orchestration.cli.metrics <mf arguments>`: MetricFlow's `mf`, offline.

dbt-metricflow's command line asks pypi.org for a newer release of itself every time it starts
(the `update-checker` package, with no switch to turn it off). Nothing of ours may reach the
internet at run or test time, so this entry point replaces that check with one that finds no
update, then runs `mf` with the given arguments, unchanged. Everything else (profiles, the
semantic manifest in `dbt_project/target/`, `SPM_DBT_TARGET=bi` for the published file) is
`mf`'s own behaviour; run it from `dbt_project/` like `mf`.
"""

import sys

import update_checker


def _no_update(self: update_checker.UpdateChecker, *args: object, **kwargs: object) -> None:
    """What the checker returns when there is no newer release; asks nobody."""
    return None


def disable_update_check() -> None:
    update_checker.UpdateChecker.check = _no_update


def main(argv: list[str] | None = None) -> None:
    disable_update_check()
    from dbt_metricflow.cli.main import cli

    cli.main(args=sys.argv[1:] if argv is None else argv, prog_name="mf")


if __name__ == "__main__":
    main()
