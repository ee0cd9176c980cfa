"""OpenAQ API v3 client for the hourly window: sensors of each location, then their hourly values.

Runs on the driver (a handful of locations and sensors per hour: a few dozen requests). Standard library
only, so nothing extra has to be installed on EMR. Limits it honours (OpenAQ docs, free tier: 60/min,
2,000/h): when ``x-ratelimit-remaining`` reaches 0 it waits ``x-ratelimit-reset`` seconds; a 429 waits for
the reset too and retries; 5xx, timeouts and connection errors retry with exponential backoff. Every
retry is bounded. The API key travels only in the ``X-API-Key`` header and never appears in messages.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aqi_jobs.stage import Location
from aqi_jobs.units import POLLUTANTS

API_KEY_ENV = "OPENAQ_API_KEY"
PAGE_LIMIT = 1000  # the API's maximum page size


class OpenAQApiError(RuntimeError):
    """The API refused a request (bad key, unknown id, too broad a query) or kept failing past the retries."""


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

    def location_sensors(self, location_id: int) -> list[dict[str, Any]]:
        """Sensors of a location that measure an AQI pollutant."""
        sensors = [record for _, record in self._pages(f"/v3/locations/{location_id}/sensors", {})]
        return [s for s in sensors if str(s.get("parameter", {}).get("name", "")).lower() in POLLUTANTS]

    def sensor_hours(self, sensor_id: int, start: str, end: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(request, record) of the hourly values with period end in (start, end] (UTC ``...Z`` stamps)."""
        params = {"datetime_from": start, "datetime_to": end}
        yield from self._pages(f"/v3/sensors/{sensor_id}/hours", params)

    def _pages(self, path: str, params: dict[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
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
                    body = resp.read()
                    self._respect_remaining(resp.headers)
                return json.loads(body, parse_float=str)
            except urllib.error.HTTPError as error:
                if error.code == 429:
                    rate_limited += 1
                    if rate_limited > self._policy.max_rate_limited:
                        raise OpenAQApiError(
                            f"GET {request}: still rate limited (429) after {rate_limited} waits"
                        ) from None
                    self._sleep(self._reset_wait(error.headers, rate_limited))
                    continue
                if error.code < 500:
                    reason = _FATAL.get(error.code, f"HTTP {error.code}")
                    raise OpenAQApiError(f"GET {request}: {reason}") from None
                failures += 1
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
                failures += 1
                problem = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            except json.JSONDecodeError as error:
                raise OpenAQApiError(f"GET {request}: the response is not JSON ({error.msg})") from None
            if failures >= self._policy.max_attempts:
                raise OpenAQApiError(f"GET {request}: failed {failures} times, last {problem}")
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
            self._sleep(self._reset_wait(headers, 1))

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


def fetch_window(
    client: OpenAQClient, locations: tuple[Location, ...], start: str, end: str
) -> list[HourRecord]:
    """Every hourly value of every AQI sensor of these locations with period end in (start, end]."""
    records = []
    for location in locations:
        for sensor in client.location_sensors(location.id):
            sensor_id = int(sensor["id"])
            for request, record in client.sensor_hours(sensor_id, start, end):
                records.append(HourRecord(request, location, sensor_id, record))
    return records


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
