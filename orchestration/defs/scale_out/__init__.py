"""The scale-out path on Apache Spark as Dagster assets, checks, a job and a schedule."""
