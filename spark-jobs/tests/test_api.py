"""The OpenAQ API v3 client pages, honours rate limits and retries transient errors with a bound."""

from __future__ import annotations

import pytest
from fixtures.openaq import FakeOpenAQ, hour_record, serve

from aqi_jobs.sources import openaq_api
from aqi_jobs.sources.openaq_api import OpenAQApiError, OpenAQClient, RetryPolicy
from aqi_jobs.stage import Location

DEL_NORTE = Location(2178, "Del Norte", "America/Denver")
PM25_SENSOR = {"id": 3917, "name": "pm25 µg/m³", "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}
NO_SENSOR = {"id": 4272226, "name": "no ppm", "parameter": {"id": 35, "name": "no", "units": "ppm"}}


def hours(n: int) -> list[dict]:
    return [
        hour_record(f"2024-01-0{1 + i // 24}T{i % 24:02d}:00:00Z", i, "pm25", "µg/m³", i + 0.25)
        for i in range(n)
    ]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(base: str, sleeps: Sleeps, key: str | None = "secret-key-123") -> OpenAQClient:
    return OpenAQClient(base, key, RetryPolicy(max_attempts=3, backoff_seconds=0.5), sleep=sleeps)


def test_hours_are_paged_with_the_maximum_limit_until_a_short_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openaq_api, "PAGE_LIMIT", 2)
    api = FakeOpenAQ(hours={3917: hours(5)})
    with serve(api) as base:
        got = list(client(base, Sleeps()).sensor_hours(3917, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"))
    assert [record["value"] for _, record in got] == [1, 2, 3, 4]
    assert api.requests == [
        f"/v3/sensors/3917/hours?datetime_from=2024-01-01T00%3A00%3A00Z&datetime_to=2024-01-02T00%3A00%3A00Z"
        f"&limit=2&page={page}"
        for page in (1, 2, 3)
    ]


def test_a_full_last_page_costs_one_more_request_that_comes_back_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(openaq_api, "PAGE_LIMIT", 2)
    api = FakeOpenAQ(hours={3917: hours(4)})
    with serve(api) as base:
        got = list(client(base, Sleeps()).sensor_hours(3917, "2023-12-31T23:00:00Z", "2024-01-01T03:00:00Z"))
    assert [record["value"] for _, record in got] == [0, 1, 2, 3]
    assert [r.rsplit("page=", 1)[1] for r in api.requests] == ["1", "2", "3"]


def test_a_server_error_is_retried_after_a_backoff_and_the_answer_used() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]}, failures=[(500, {}), (503, {})])
    sleeps = Sleeps()
    with serve(api) as base:
        sensors = client(base, sleeps).location_sensors(2178)
    assert [s["id"] for s in sensors] == [3917]
    assert sleeps == [0.5, 1.0]
    assert len(api.requests) == 3


def test_server_errors_past_the_bound_fail_with_the_request_and_the_last_status() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]}, failures=[(500, {}), (502, {}), (500, {})])
    with serve(api) as base, pytest.raises(OpenAQApiError) as raised:
        client(base, Sleeps()).location_sensors(2178)
    assert (
        str(raised.value) == "GET /v3/locations/2178/sensors?limit=1000&page=1: failed 3 times, last HTTP 500"
    )


def test_a_429_waits_for_the_rate_limit_reset_then_retries() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]}, failures=[(429, {"x-ratelimit-reset": "7"})])
    sleeps = Sleeps()
    with serve(api) as base:
        sensors = client(base, sleeps).location_sensors(2178)
    assert [s["id"] for s in sensors] == [3917]
    assert sleeps == [7.0]


def test_an_exhausted_quota_waits_for_the_reset_before_the_next_request() -> None:
    api = FakeOpenAQ(
        sensors={2178: [PM25_SENSOR]}, ok_headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"}
    )
    sleeps = Sleeps()
    with serve(api) as base:
        client(base, sleeps).location_sensors(2178)
    assert sleeps == [42.0]


def test_a_rejected_key_fails_at_once_and_the_message_never_shows_the_key() -> None:
    api = FakeOpenAQ(failures=[(401, {})])
    sleeps = Sleeps()
    with serve(api) as base, pytest.raises(OpenAQApiError) as raised:
        client(base, sleeps).location_sensors(2178)
    assert str(raised.value) == (
        "GET /v3/locations/2178/sensors?limit=1000&page=1: the API key was rejected (401): "
        "check the secret or OPENAQ_API_KEY"
    )
    assert "secret-key-123" not in str(raised.value)
    assert sleeps == []
    assert api.api_keys == ["secret-key-123"]


def test_only_sensors_of_aqi_pollutants_are_fetched_and_rows_carry_the_archive_columns() -> None:
    api = FakeOpenAQ(
        sensors={2178: [PM25_SENSOR, NO_SENSOR]},
        hours={
            3917: [hour_record("2024-01-01T01:00:00+00:00", 6, "pm25", "µg/m³", 6.04)],
            4272226: [hour_record("2024-01-01T01:00:00+00:00", 0.001, "no", "ppm", 0.001)],
        },
    )
    with serve(api) as base:
        records = openaq_api.fetch_window(
            client(base, Sleeps()), (DEL_NORTE,), "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"
        )
    assert [openaq_api.raw_fields(r) for r in records] == [
        ("2178", "3917", "Del Norte", "2024-01-01T01:00:00+00:00", None, None, "pm25", "µg/m³", "6.04")
    ]
    assert records[0].request == (
        "/v3/sensors/3917/hours?datetime_from=2024-01-01T00%3A00%3A00Z&datetime_to=2024-01-01T01%3A00%3A00Z"
        "&limit=1000&page=1"
    )


def test_the_base_url_may_carry_the_version_segment() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]})
    with serve(api) as base:
        client(base + "/v3/", Sleeps()).location_sensors(2178)
    assert api.requests == ["/v3/locations/2178/sensors?limit=1000&page=1"]


def test_the_key_comes_from_the_environment_when_no_secret_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAQ_API_KEY", "from-env")
    assert openaq_api.api_key(None) == "from-env"


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch):
    """A real Secrets Manager API (moto server on loopback) that boto3 reaches through its endpoint env."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield boto3.client("secretsmanager")
    server.stop()


def test_the_key_comes_from_secrets_manager_as_a_bare_string_or_json_api_key(secrets_manager) -> None:
    secrets_manager.create_secret(Name="aqi/openaq-bare", SecretString="bare-key\n")
    secrets_manager.create_secret(Name="aqi/openaq-json", SecretString='{"apiKey": "json-key"}')
    assert openaq_api.api_key("aqi/openaq-bare") == "bare-key"
    assert openaq_api.api_key("aqi/openaq-json") == "json-key"


def test_a_json_secret_without_an_api_key_field_is_refused_naming_the_secret(secrets_manager) -> None:
    secrets_manager.create_secret(Name="aqi/openaq", SecretString='{"key": "x"}')
    with pytest.raises(OpenAQApiError, match="secret aqi/openaq: JSON secret needs a string field 'apiKey'"):
        openaq_api.api_key("aqi/openaq")
