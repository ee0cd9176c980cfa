"""OpenAQ API v3 client for the hourly window: sensors of each location, then their hourly values.

Runs on the driver. HTTP through the standard library, so nothing extra has to be installed on EMR. Every
request is tallied (``RequestTally``: by endpoint, 429s, retries, seconds waited) so the stage result
reports what the window cost in API calls, which is what a run on the free tier spends its time waiting
for. Limits it honours (OpenAQ docs, free tier: 60/min, 2,000/h): when ``x-ratelimit-remaining`` reaches 0
it waits ``x-ratelimit-reset`` seconds; a 429 waits for the reset too and retries; 5xx, timeouts and
connection errors retry with exponential backoff. Every retry is bounded. The API key travels only in the
``X-API-Key`` header and never appears in messages.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aqi_jobs.sources import sensor_lists
from aqi_jobs.sources.sensor_lists import SensorList
from aqi_jobs.stage import Location
from aqi_jobs.units import POLLUTANTS

API_KEY_ENV = "OPENAQ_API_KEY"
PAGE_LIMIT = 1000  # the API's maximum page size


class OpenAQApiError(RuntimeError):
    """The API refused a request (bad key, unknown id, too broad a query) or kept failing past the retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status that ended the request, None when it never got one


@dataclass
class RequestTally:
    """What the API was asked in one stage: the figure docs/COSTS.md models a run's API wait from.

    ``by_endpoint`` counts answered requests (any status) by path pattern, ids replaced with ``{id}``.
    """

    by_endpoint: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0  # 429 answers
    retried: int = 0  # 5xx, timeouts, connection errors that were retried
    waited_seconds: float = 0.0  # slept for the rate limit (remaining 0, or a 429)

    def count(self, request: str) -> None:
        pattern = _ID_SEGMENT.sub("/{id}", request.split("?", 1)[0])
        self.by_endpoint[pattern] = self.by_endpoint.get(pattern, 0) + 1

    @property
    def requests(self) -> int:
        return sum(self.by_endpoint.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "byEndpoint": dict(sorted(self.by_endpoint.items())),
            "rateLimited": self.rate_limited,
            "retried": self.retried,
            "waitedSeconds": round(self.waited_seconds, 3),
        }


_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # per request, for 5xx / timeouts / connection errors
    max_rate_limited: int = 10  # per request, for 429s (each waits for the window to reset)
    backoff_seconds: float = 1.0  # doubled per attempt
    max_wait_seconds: float = 120.0
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class HourRecord:
    """One hourly value with the request that returned it (Bronze's ``source_key``)."""

    request: str
    location: Location
    sensor_id: int
    record: dict[str, Any]


_FATAL = {
    401: "the API key was rejected (401): check the secret or OPENAQ_API_KEY",
    403: "access denied (403): check the API key's permissions",
    404: "not found (404): the location or sensor id does not exist",
    408: "query too broad (408): narrow the window",
    410: "gone (410): this endpoint is retired, use /v3",
    422: "invalid parameters (422)",
}


class OpenAQClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # The root may be given with or without the version segment; paths always carry /v3.
        self._base = base_url.rstrip("/").removesuffix("/v3")
        self._api_key = api_key
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self.tally = RequestTally()

    def sensor_list(
        self, location_id: int, listed_at: datetime, window_start: datetime, renew_after: datetime
    ) -> SensorList:
        """Every sensor of a location (``/v3/locations/{id}/sensors``), whatever it measures."""
        results = (record for _, record in self.pages(f"/v3/locations/{location_id}/sensors", {}))
        return sensor_lists.parse_sensor_list(location_id, results, listed_at, window_start, renew_after)

    def sensor_hours(self, sensor_id: int, start: str, end: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(request, record) of the hourly values with period end in (start, end] (UTC ``...Z`` stamps)."""
        params = {"datetime_from": start, "datetime_to": end}
        yield from self.pages(f"/v3/sensors/{sensor_id}/hours", params)

    def pages(self, path: str, params: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
        page = 1
        while True:
            request = f"{path}?{urllib.parse.urlencode({**params, 'limit': PAGE_LIMIT, 'page': page})}"
            results = self.get(request).get("results")
            if not isinstance(results, list):
                raise OpenAQApiError(f"GET {request}: response has no 'results' list")
            for record in results:
                yield request, record
            # meta.found can be the string ">1000": a short page is the only reliable end.
            if len(results) < PAGE_LIMIT:
                return
            page += 1

    def get(self, request: str) -> dict[str, Any]:
        """GET ``request`` (path and query) with the retry policy; the parsed JSON body."""
        failures = rate_limited = 0
        while True:
            try:
                with urllib.request.urlopen(
                    self._request(request), timeout=self._policy.timeout_seconds
                ) as resp:
                    self.tally.count(request)
                    body = resp.read()
                    self._respect_remaining(resp.headers)
                return json.loads(body, parse_float=str)
            except urllib.error.HTTPError as error:
                self.tally.count(request)
                if error.code == 429:
                    rate_limited += 1
                    self.tally.rate_limited += 1
                    if rate_limited > self._policy.max_rate_limited:
                        raise OpenAQApiError(
                            f"GET {request}: still rate limited (429) after {rate_limited} waits", 429
                        ) from None
                    self._wait_for_rate_limit(self._reset_wait(error.headers, rate_limited))
                    continue
                if error.code < 500:
                    reason = _FATAL.get(error.code, f"HTTP {error.code}")
                    raise OpenAQApiError(f"GET {request}: {reason}", error.code) from None
                failures += 1
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                failures += 1
                problem = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            except json.JSONDecodeError as error:
                raise OpenAQApiError(f"GET {request}: the response is not JSON ({error.msg})") from None
            if failures >= self._policy.max_attempts:
                raise OpenAQApiError(f"GET {request}: failed {failures} times, last {problem}")
            self.tally.retried += 1
            self._sleep(
                min(self._policy.backoff_seconds * 2 ** (failures - 1), self._policy.max_wait_seconds)
            )

    def _request(self, request: str) -> urllib.request.Request:
        headers = {"Accept": "application/json", "User-Agent": "aqi-pipeline"}
        if self._api_key:
            headers["X-API-Key"] = self._api_key
        return urllib.request.Request(self._base + request, headers=headers)

    def _respect_remaining(self, headers: Any) -> None:
        if _header_number(headers, "x-ratelimit-remaining") == 0:
            self._wait_for_rate_limit(self._reset_wait(headers, 1))

    def _wait_for_rate_limit(self, seconds: float) -> None:
        self.tally.waited_seconds += seconds
        self._sleep(seconds)

    def _reset_wait(self, headers: Any, attempt: int) -> float:
        reset = _header_number(headers, "x-ratelimit-reset")
        if reset is None:
            reset = _header_number(headers, "retry-after")
        if reset is None:
            reset = self._policy.backoff_seconds * 2 ** (attempt - 1)
        return min(max(reset, 0.0), self._policy.max_wait_seconds)


def _header_number(headers: Any, name: str) -> float | None:
    value = headers.get(name) if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class WindowFetch:
    """The window's hourly values, and the sensor lists asked for on the way (to keep in the lake)."""

    records: list[HourRecord]
    renewed: dict[int, SensorList]


def fetch_window(
    client: OpenAQClient,
    locations: tuple[Location, ...],
    start: str,
    end: str,
    held: Mapping[int, SensorList],
    now: datetime,
) -> WindowFetch:
    """Every hourly value of every AQI sensor of these locations with period end in (start, end].

    Sensor lists come from ``held`` (the lake's) unless ``sensor_lists.lists_to_renew`` picks the location;
    with nothing held every list is asked for, one request per location, as before lists were kept. Then
    one ``/hours`` request per AQI sensor (more only past 1,000 hours). A sensor a renewed list names for
    the first time is fetched from the old list's window start, so the hours of the runs that did not know
    it are not lost; a held list naming a sensor OpenAQ no longer knows (404) is renewed and the location
    fetched again.
    """
    window_start = _utc_instant(start)
    renew = sensor_lists.lists_to_renew((location.id for location in locations), held, now)
    due = sensor_lists.renewal_times(renew, held, now)
    renewed: dict[int, SensorList] = {}
    records: list[HourRecord] = []
    for location in locations:
        previous = held.get(location.id)
        if location.id in renew:
            renewed[location.id] = client.sensor_list(location.id, now, window_start, due[location.id])
        try:
            records += _location_hours(
                client, location, renewed.get(location.id) or previous, previous, start, end
            )
        except OpenAQApiError as error:
            if error.status != 404 or location.id in renewed:
                raise
            renewed[location.id] = client.sensor_list(
                location.id, now, window_start, now + sensor_lists.MAX_AGE
            )
            records += _location_hours(client, location, renewed[location.id], previous, start, end)
    return WindowFetch(records, renewed)


def _location_hours(
    client: OpenAQClient,
    location: Location,
    current: SensorList | None,
    previous: SensorList | None,
    start: str,
    end: str,
) -> list[HourRecord]:
    """The hours of the AQI sensors ``current`` lists; those ``previous`` lacked reach back to its window."""
    if current is None:  # lists_to_renew renews every location the lake holds no list for
        raise AssertionError(f"no sensor list for location {location.id}")
    renewed = previous is not None and previous is not current
    records = []
    for sensor in current.sensors:
        if sensor.parameter.lower() not in POLLUTANTS:
            continue
        since = start
        if renewed and sensor.id not in previous.sensor_ids():
            since = _utc_text(min(previous.window_start, _utc_instant(start)))
        for request, record in client.sensor_hours(sensor.id, since, end):
            records.append(HourRecord(request, location, sensor.id, record))
    return records


def _utc_instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        raise ValueError(f"window bound {text!r} is not an ISO timestamp with Z or an offset") from None


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_fields(hour: HourRecord) -> tuple[str | None, ...]:
    """An API record as the archive's text columns (``aqi_jobs.tables.RAW_COLUMNS``).

    ``datetime`` is the period end in UTC (hour-ending, like the archive); ``value`` is ``summary.avg``
    when present, because ``value`` on /hours is rounded to 3 significant figures.
    """
    record = hour.record
    parameter = record.get("parameter") or {}
    coordinates = record.get("coordinates") or {}
    summary = record.get("summary") or {}
    period_end = ((record.get("period") or {}).get("datetimeTo") or {}).get("utc")
    value = summary.get("avg") if summary.get("avg") is not None else record.get("value")
    return (
        str(hour.location.id),
        str(hour.sensor_id),
        hour.location.name,
        _text(period_end),
        _text(coordinates.get("latitude")),
        _text(coordinates.get("longitude")),
        _text(parameter.get("name")),
        _text(parameter.get("units")),
        _text(value),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def api_key(secret_name: str | None) -> str | None:
    """The API key: from Secrets Manager when a secret is named (EMR), else ``OPENAQ_API_KEY`` (local).

    The secret may hold the bare key or JSON with an ``apiKey`` field.
    """
    if not secret_name:
        return os.environ.get(API_KEY_ENV) or None
    import boto3  # only on EMR, where the cluster's Python has it

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=secret_name)["SecretString"].strip()
    if secret.startswith("{"):
        try:
            document = json.loads(secret)
        except json.JSONDecodeError:
            raise OpenAQApiError(f"secret {secret_name}: looks like JSON but does not parse") from None
        if not isinstance(document, dict) or not isinstance(document.get("apiKey"), str):
            raise OpenAQApiError(f"secret {secret_name}: JSON secret needs a string field 'apiKey'")
        return document["apiKey"]
    return secret
