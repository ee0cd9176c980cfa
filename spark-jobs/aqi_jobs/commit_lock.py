"""One Iceberg commit at a time among local steps that share a Hadoop-catalog warehouse.

On EMR the Glue catalog commits atomically (a conditional update of the table's metadata location), so
backfill chunks appending to Bronze at the same time each either win or retry. The Hadoop catalog commits
by renaming ``v<N+1>.metadata.json`` into place; on a local filesystem that rename overwrites, and
Iceberg's lock is per JVM, so two steps (two JVMs) that commit the same version at the same moment lose one
of the commits without an error (apache/iceberg#970). Locally, table creation and Bronze's append are
therefore made under an exclusive ``flock`` on a file in the warehouse. Silver and Gold never run
concurrently (one step each, under the pipeline lock), so they need no more than that.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from aqi_jobs.session import CATALOG

LOCK_FILE = ".aqi-commit.lock"
WAITING_MESSAGE = "waiting for another local step's Iceberg commit to finish"


def local_warehouse(catalog_type: str | None, warehouse: str | None) -> str | None:
    """The directory to lock for a Hadoop catalog on the local filesystem; None where no lock is needed."""
    if catalog_type != "hadoop" or not warehouse:
        return None
    parsed = urlparse(warehouse)
    if parsed.scheme == "file":
        return parsed.path
    return warehouse if parsed.scheme == "" else None


@contextmanager
def exclusive_commit(spark: SparkSession) -> Iterator[None]:
    """Hold the warehouse's commit lock for the block, when the session's catalog needs one."""
    prefix = f"spark.sql.catalog.{CATALOG}"
    catalog_type, warehouse = (spark.conf.get(f"{prefix}.{key}", None) for key in ("type", "warehouse"))
    directory = local_warehouse(catalog_type, warehouse)
    if directory is None:
        yield
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, LOCK_FILE), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(WAITING_MESSAGE, file=sys.stderr, flush=True)
            # A SIGTERM here raises StageCancelledError out of the wait: nothing has been committed yet.
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
