"""Bronze: raw OpenAQ rows, as text, into ``aqi.aqi_bronze.measurements``.

``backfill`` reads the archive files of the configured locations for local days [start, end];
``hourly`` fetches the API window (start, end] (each location's sensor list comes from the lake while it is
fresh: ``aqi_jobs.sources.sensor_lists``; the result's ``apiRequests`` counts what was asked). Each row gets
its ``source``, ``source_key`` (S3 key or API request), ``ingested_at`` (one instant per run), ``run_id``
and ``row_hash``: a SHA-256 of the source and the raw columns. Only rows whose hash Bronze does not hold
yet are appended, so ingesting the same file or window again adds nothing, while a re-exported file with
changed values adds the changed rows (Silver keeps the latest). The hash leaves out ``source_key`` so
overlapping API windows do not duplicate rows.

Row accounting (the stage result): ``rowsRead`` = data lines decoded (archive) or records returned (API);
``rowsRejected`` = lines of files rejected whole (empty, truncated or corrupt gzip, no or a wrong header:
each listed in the result's ``unreadableSources`` with its key and reason, and logged; a later run over
that day picks the file up once it is fixed); ``rowsDuplicate`` = rows Bronze already
held or that repeat within the read; ``rowsWritten`` = rows appended. read = written + rejected + duplicate.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import cancellation
from aqi_jobs.commit_lock import exclusive_commit
from aqi_jobs.observations import UTC_TEXT, observed_at_utc, utc_timestamp
from aqi_jobs.phases import lap
from aqi_jobs.session import unpersisted_at_exit
from aqi_jobs.sources import archive, openaq_api, sensor_lists
from aqi_jobs.stage import BACKFILL, StageContext, StageOutcome
from aqi_jobs.tables import (
    API_SENSOR_LISTS,
    BRONZE_MEASUREMENTS,
    RAW_COLUMNS,
    current_snapshot,
    ensure_tables,
)


def with_lineage(raw: DataFrame, source: str, run_id: str, ingested_at: datetime) -> DataFrame:
    """Raw text rows plus the Bronze bookkeeping columns, in the table's column order."""
    # NULL and "" must hash differently, and no field may run into the next: unit separator + NUL marker.
    fields = (F.coalesce(F.col(c), F.lit("\u0000")) for c in RAW_COLUMNS)
    hashed = F.sha2(F.concat_ws("\u001f", F.lit(source), *fields), 256)
    return raw.select(
        *(F.col(c).cast("string").alias(c) for c in RAW_COLUMNS),
        F.lit(source).alias("source"),
        F.col("source_key"),
        hashed.alias("row_hash"),
        observed_at_utc(F.col("datetime")).alias("observed_at_utc"),
        utc_timestamp(ingested_at).alias("ingested_at"),
        F.lit(run_id).alias("run_id"),
    )


def new_rows(spark: SparkSession, rows: DataFrame) -> DataFrame:
    """The rows whose hash Bronze does not hold, one per hash.

    Equal hashes mean equal ``datetime`` text, hence equal ``observed_at_utc``: only Bronze's rows in the
    batch's observed range (and the unparseable ones) can match, so the scan prunes to those months.
    """
    observed = F.col("observed_at_utc")
    bounds = rows.agg(
        F.date_format(F.min(observed), UTC_TEXT).alias("low"),
        F.date_format(F.max(observed), UTC_TEXT).alias("high"),
    ).first()
    nearby = observed.isNull()
    if bounds is not None and bounds.low is not None:
        low, high = F.lit(bounds.low).cast("timestamp"), F.lit(bounds.high).cast("timestamp")
        nearby = nearby | observed.between(low, high)
    held = spark.table(BRONZE_MEASUREMENTS).where(nearby).select("row_hash")
    return rows.dropDuplicates(["row_hash"]).join(held, on="row_hash", how="left_anti").select(*rows.columns)


def _required(ctx: StageContext, name: str) -> str:
    value = getattr(ctx, name)
    if not value:
        raise ValueError(f"bronze {ctx.mode} needs --{name.replace('_', '-')}")
    return value


def read_archive(
    spark: SparkSession, ctx: StageContext, cached: list[DataFrame]
) -> tuple[DataFrame, list[dict[str, object]]]:
    """Rows of the archive files for the window, and each file that could not be read: its key, the
    reason and how many of its lines were decodable (the result's ``unreadableSources``)."""
    start, end = date.fromisoformat(_required(ctx, "start")), date.fromisoformat(_required(ctx, "end"))
    locations = [loc.id for loc in ctx.locations]
    paths = archive.list_files(spark, _required(ctx, "archive_uri"), locations, start, end)
    lap("read", "list archive files")
    decoded = archive.read_files(spark, paths).cache()
    cached.append(decoded)
    rejected = (
        decoded.where(F.col("error").isNotNull()).select("source_key", "error", "rejected_lines").collect()
    )
    lap("read", "decode archive files")
    for file in rejected:
        print(f"aqi-jobs bronze: rejected {file.source_key}: {file.error}", file=sys.stderr)
    rows = decoded.where(F.col("error").isNull()).select("source_key", *RAW_COLUMNS)
    unreadable = [
        {"key": file.source_key, "reason": file.error, "rejectedLines": int(file.rejected_lines)}
        for file in sorted(rejected, key=lambda f: f.source_key)
    ]
    return rows, unreadable


@dataclass(frozen=True)
class ApiWindow:
    """An API window read: its rows, what it cost in requests, and the sensor lists to keep afterwards."""

    rows: DataFrame
    requests: dict[str, object]  # the result's apiRequests
    held: dict[int, sensor_lists.SensorList]
    renewed: dict[int, sensor_lists.SensorList]


def read_api(spark: SparkSession, ctx: StageContext) -> ApiWindow:
    client = openaq_api.OpenAQClient(_required(ctx, "api_base_url"), openaq_api.api_key(ctx.api_key_secret))
    ensure_tables(spark, API_SENSOR_LISTS)
    held = sensor_lists.read_lists(spark)
    lap("read", "read sensor lists")
    start, end = _required(ctx, "start"), _required(ctx, "end")
    fetched = openaq_api.fetch_window(client, ctx.locations, start, end, held, datetime.now(UTC))
    lap("read", "fetch API window")
    requests = {**client.tally.as_json(), "sensorListsRenewed": len(fetched.renewed)}
    schema = ", ".join(["source_key string", *(f"{c} string" for c in RAW_COLUMNS)])
    rows = spark.createDataFrame([(r.request, *openaq_api.raw_fields(r)) for r in fetched.records], schema)
    return ApiWindow(rows, requests, held, fetched.renewed)


def run(spark: SparkSession, ctx: StageContext) -> StageOutcome:
    if not ctx.locations:
        raise ValueError("bronze needs --locations-uri naming at least one location")
    ensure_tables(spark, BRONZE_MEASUREMENTS)
    lap("setup", "ensure tables")
    with unpersisted_at_exit() as cached:
        return _ingest(spark, ctx, cached)


def _ingest(spark: SparkSession, ctx: StageContext, cached: list[DataFrame]) -> StageOutcome:
    ingested_at = datetime.now(UTC)
    api, api_requests, unreadable = None, None, None
    if ctx.mode == BACKFILL:
        raw, unreadable = read_archive(spark, ctx, cached)
        source = "archive"
    else:
        api = read_api(spark, ctx)
        raw, api_requests = api.rows, api.requests
        source = "api"
    rejected = sum(int(file["rejectedLines"]) for file in unreadable or [])
    rows = with_lineage(raw, source, ctx.run_id, ingested_at).cache()
    read = rows.count()
    lap("action", "hash rows read")
    fresh = new_rows(spark, rows).cache()
    cached += [rows, fresh]
    written = fresh.count()
    lap("action", "find rows not yet held")
    days = [
        r.day.isoformat()
        for r in fresh.select(F.to_date("observed_at_utc").alias("day")).distinct().collect()
        if r.day is not None
    ]
    lap("action", "affected days")
    cancellation.raise_if_cancelled()
    if written:
        # Locally, concurrent chunks' commits must not overlap (see commit_lock); the rows are cached and
        # counted already, so the lock is held only for writing them out and committing.
        with exclusive_commit(spark):
            cancellation.raise_if_cancelled()
            fresh.writeTo(BRONZE_MEASUREMENTS).append()
        lap("write", "append aqi_bronze.measurements")
    if api is not None and api.renewed:
        # Only once the rows are in: a sensor new to a renewed list had its hours fetched back to the old
        # list's window, and a run that failed before its append must fetch them again next time.
        sensor_lists.write_lists(spark, api.held, api.renewed, ctx.run_id)
        lap("write", "renew aqi_bronze.api_sensor_lists")
    return StageOutcome(
        rows_read=read + rejected,
        rows_written=written,
        rows_rejected=rejected,
        rows_duplicate=read - written,
        affected_days=sorted(days),
        snapshots={BRONZE_MEASUREMENTS.split(".", 1)[1]: current_snapshot(spark, BRONZE_MEASUREMENTS)},
        api_requests=api_requests,
        unreadable_sources=unreadable,
    )
