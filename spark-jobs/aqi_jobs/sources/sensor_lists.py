"""Each location's OpenAQ sensor list, kept in the lake between hourly runs (``aqi_bronze.api_sensor_lists``).

Why: asking ``/v3/locations/{id}/sensors`` on every run costs one API request per location per hour, a
seventh of a run's requests at six AQI sensors a location, and on the free tier (60 requests a minute) every
request is time the cluster waits. Sensors change rarely, so a run reuses the list the lake holds and asks
again only when:

- the lake has no list for the location (first run, a location added to the configuration);
- the list's ``renew_after`` has passed: a renewed list is due again ``MAX_AGE`` later, and lists asked for
  the first time together are spread over the next ``MAX_AGE`` (the k-th of n is due after k/n of it), so
  an hourly schedule renews about a 24th of the lists each run rather than all of them in one run a day;
- a listed sensor is no longer known to OpenAQ (404 on its hours; see ``openaq_api.fetch_window``).

No hour is lost to a list that is out of date: when a renewed list names a sensor the old list did not,
that sensor's hours are fetched from the start of the window of the run that made the old list, which
every scheduled run since then covered (scheduled windows start at the watermark less the late-data
margin, and the watermark only moves forward).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs.commit_lock import exclusive_commit
from aqi_jobs.observations import UTC_TEXT
from aqi_jobs.tables import API_SENSOR_LISTS

MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class ListedSensor:
    id: int
    parameter: str
    units: str


@dataclass(frozen=True)
class SensorList:
    """What ``/v3/locations/{id}/sensors`` answered, when, and for which run's window."""

    location_id: int
    sensors: tuple[ListedSensor, ...]  # every sensor of the location, whatever it measures
    listed_at: datetime
    window_start: datetime  # start of the window of the run that asked
    renew_after: datetime  # the first run from then on asks again

    def sensor_ids(self) -> frozenset[int]:
        return frozenset(sensor.id for sensor in self.sensors)


def lists_to_renew(location_ids: Iterable[int], held: Mapping[int, SensorList], now: datetime) -> set[int]:
    """The locations whose sensor list this run asks OpenAQ for: none held, or due."""
    return {i for i in location_ids if i not in held or now >= held[i].renew_after}


def renewal_times(
    renewing: Iterable[int], held: Mapping[int, SensorList], now: datetime
) -> dict[int, datetime]:
    """When each list asked for now is due again: ``MAX_AGE`` on, spread over it when asked the first time."""
    ids = sorted(set(renewing))
    first = [i for i in ids if i not in held]
    due = {i: now + MAX_AGE for i in ids if i in held}
    due |= {i: now + MAX_AGE * (rank + 1) / len(first) for rank, i in enumerate(first)}
    return due


def parse_sensor_list(
    location_id: int,
    results: Iterable[dict],
    listed_at: datetime,
    window_start: datetime,
    renew_after: datetime,
) -> SensorList:
    """A list from the API's sensor records (``id``, ``parameter.name``, ``parameter.units``)."""
    sensors = []
    for record in results:
        parameter = record.get("parameter") or {}
        try:
            sensor_id = int(record["id"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"GET /v3/locations/{location_id}/sensors: a sensor without an integer 'id': {record!r}"
            ) from None
        sensors.append(
            ListedSensor(sensor_id, str(parameter.get("name", "")), str(parameter.get("units", "")))
        )
    return SensorList(
        location_id, tuple(sorted(sensors, key=lambda s: s.id)), listed_at, window_start, renew_after
    )


def read_lists(spark: SparkSession) -> dict[int, SensorList]:
    """The lists the lake holds, by location id (the table must exist: ``ensure_tables``)."""
    rows = (
        spark.table(API_SENSOR_LISTS)
        .select(
            "location_id",
            "sensors",
            F.date_format("listed_at", UTC_TEXT).alias("listed_at"),
            F.date_format("window_start", UTC_TEXT).alias("window_start"),
            F.date_format("renew_after", UTC_TEXT).alias("renew_after"),
        )
        .collect()
    )
    return {
        int(row.location_id): SensorList(
            int(row.location_id),
            tuple(ListedSensor(int(s.id), s.parameter, s.units) for s in row.sensors),
            _utc(row.listed_at),
            _utc(row.window_start),
            _utc(row.renew_after),
        )
        for row in rows
    }


def write_lists(
    spark: SparkSession, held: Mapping[int, SensorList], renewed: Mapping[int, SensorList], run_id: str
) -> None:
    """Replace the table with ``held`` updated by ``renewed``, in one commit; nothing when none renewed."""
    if not renewed:
        return
    merged = {**held, **renewed}
    schema = (
        "location_id bigint, sensors array<struct<id: bigint, parameter: string, units: string>>, "
        "listed_at string, window_start string, renew_after string, run_id string"
    )
    frame = spark.createDataFrame(
        [
            (
                entry.location_id,
                [(s.id, s.parameter, s.units) for s in entry.sensors],
                entry.listed_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                entry.window_start.strftime("%Y-%m-%d %H:%M:%S.%f"),
                entry.renew_after.strftime("%Y-%m-%d %H:%M:%S.%f"),
                run_id,
            )
            for entry in sorted(merged.values(), key=lambda e: e.location_id)
        ],
        schema,
    ).select(
        "location_id",
        "sensors",
        # Text without an offset is read in the session zone, UTC (aqi_jobs.session).
        F.col("listed_at").cast("timestamp").alias("listed_at"),
        F.col("window_start").cast("timestamp").alias("window_start"),
        F.col("renew_after").cast("timestamp").alias("renew_after"),
        "run_id",
    )
    with exclusive_commit(spark):
        frame.writeTo(API_SENSOR_LISTS).overwrite(F.lit(True))


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
