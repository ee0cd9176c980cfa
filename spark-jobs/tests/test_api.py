"""The OpenAQ API v3 client pages, honours rate limits and retries transient errors with a bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fixtures.openaq import FakeOpenAQ, hour_record, serve

from aqi_jobs.sources import openaq_api
from aqi_jobs.sources.openaq_api import OpenAQApiError, OpenAQClient, RetryPolicy
from aqi_jobs.sources.sensor_lists import ListedSensor, SensorList, lists_to_renew, renewal_times
from aqi_jobs.stage import Location

DEL_NORTE = Location(2178, "Del Norte", "America/Denver")
PM25_SENSOR = {"id": 3917, "name": "pm25 µg/m³", "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}
NOW = datetime(2024, 1, 1, 3, tzinfo=UTC)
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
        sensors = client(base, sleeps).sensor_list(2178, NOW, NOW, NOW)
    assert [s.id for s in sensors.sensors] == [3917]
    assert sleeps == [0.5, 1.0]
    assert len(api.requests) == 3


def test_server_errors_past_the_bound_fail_with_the_request_and_the_last_status() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]}, failures=[(500, {}), (502, {}), (500, {})])
    with serve(api) as base, pytest.raises(OpenAQApiError) as raised:
        client(base, Sleeps()).sensor_list(2178, NOW, NOW, NOW)
    assert (
        str(raised.value) == "GET /v3/locations/2178/sensors?limit=1000&page=1: failed 3 times, last HTTP 500"
    )


def test_a_429_waits_for_the_rate_limit_reset_then_retries_and_the_tally_counts_both_answers() -> None:
    api = FakeOpenAQ(sensors={2178: [PM25_SENSOR]}, failures=[(429, {"x-ratelimit-reset": "7"}), (503, {})])
    sleeps = Sleeps()
    with serve(api) as base:
        api_client = client(base, sleeps)
        sensors = api_client.sensor_list(2178, NOW, NOW, NOW)
    assert [s.id for s in sensors.sensors] == [3917]
    assert sleeps == [7.0, 0.5]
    assert api_client.tally.as_json() == {
        "requests": 3,
        "byEndpoint": {"/v3/locations/{id}/sensors": 3},
        "rateLimited": 1,
        "retried": 1,
        "waitedSeconds": 7.0,
    }


def test_an_exhausted_quota_waits_for_the_reset_before_the_next_request() -> None:
    api = FakeOpenAQ(
        sensors={2178: [PM25_SENSOR]}, ok_headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "42"}
    )
    sleeps = Sleeps()
    with serve(api) as base:
        client(base, sleeps).sensor_list(2178, NOW, NOW, NOW)
    assert sleeps == [42.0]


def test_a_rejected_key_fails_at_once_and_the_message_never_shows_the_key() -> None:
    api = FakeOpenAQ(failures=[(401, {})])
    sleeps = Sleeps()
    with serve(api) as base, pytest.raises(OpenAQApiError) as raised:
        client(base, sleeps).sensor_list(2178, NOW, NOW, NOW)
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
            client(base, Sleeps()), (DEL_NORTE,), "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", {}, NOW
        ).records
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
        client(base + "/v3/", Sleeps()).sensor_list(2178, NOW, NOW, NOW)
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


# Sensor lists kept between runs (aqi_jobs.sources.sensor_lists): fewer requests, the same rows.

ALBUQUERQUE = (DEL_NORTE, Location(2180, "South Valley", "America/Denver"))
O3_SENSOR = {"id": 3918, "name": "o3 ppm", "parameter": {"id": 10, "name": "o3", "units": "ppm"}}
CO_SENSOR = {"id": 25227, "name": "co ppm", "parameter": {"id": 8, "name": "co", "units": "ppm"}}
SV_PM25 = {"id": 5001, "name": "pm25 µg/m³", "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}
WINDOW = ("2024-01-01T00:00:00Z", "2024-01-01T04:00:00Z")  # 1 new hour + 3 late-data hours, as scheduled


def hourly(parameter: str, units: str, base: float, first_hour: int = 1, last_hour: int = 4) -> list[dict]:
    """Hours ending first_hour..last_hour of Jan 1 2024, ``value`` rounded as the API rounds, ``avg`` not."""
    return [
        hour_record(
            f"2024-01-01T{h:02d}:00:00Z",
            round(base + h / 100, 2),
            parameter,
            units,
            round(base + h / 100 + 0.001, 4),
        )
        for h in range(first_hour, last_hour + 1)
    ]


def albuquerque_api() -> FakeOpenAQ:
    return FakeOpenAQ(
        sensors={2178: [PM25_SENSOR, O3_SENSOR, CO_SENSOR, NO_SENSOR], 2180: [SV_PM25]},
        hours={
            3917: hourly("pm25", "µg/m³", 6),
            3918: hourly("o3", "ppm", 0.03),
            25227: hourly("co", "ppm", 0.2),
            5001: hourly("pm25", "µg/m³", 11),
        },
    )


def rows(fetch: openaq_api.WindowFetch) -> list[tuple[str | None, ...]]:
    return sorted(openaq_api.raw_fields(record) for record in fetch.records)


def endpoints(requests: list[str]) -> list[str]:
    return [request.split("?", 1)[0] for request in requests]


def test_a_run_with_no_lists_kept_asks_for_every_list_then_each_aqi_sensors_hours_as_before() -> None:
    api = albuquerque_api()
    with serve(api) as base:
        api_client = client(base, Sleeps())
        fetch = openaq_api.fetch_window(api_client, ALBUQUERQUE, *WINDOW, {}, NOW)
    assert endpoints(api.requests) == [
        "/v3/locations/2178/sensors",
        "/v3/sensors/3917/hours",
        "/v3/sensors/3918/hours",
        "/v3/sensors/25227/hours",  # NO (4272226) is no AQI pollutant: never asked
        "/v3/locations/2180/sensors",
        "/v3/sensors/5001/hours",
    ]
    assert api_client.tally.by_endpoint == {"/v3/locations/{id}/sensors": 2, "/v3/sensors/{id}/hours": 4}
    assert sorted(fetch.renewed) == [2178, 2180]
    assert [s.id for s in fetch.renewed[2178].sensors] == [3917, 3918, 25227, 4272226]
    assert fetch.renewed[2178].window_start == datetime(2024, 1, 1, tzinfo=UTC)


def test_the_next_run_reuses_the_kept_lists_and_returns_the_same_rows_with_a_request_per_sensor_only() -> (
    None
):
    api = albuquerque_api()
    with serve(api) as base:
        first = openaq_api.fetch_window(client(base, Sleeps()), ALBUQUERQUE, *WINDOW, {}, NOW)
        api.requests.clear()
        api_client = client(base, Sleeps())
        later = openaq_api.fetch_window(
            api_client, ALBUQUERQUE, *WINDOW, first.renewed, NOW + timedelta(hours=1)
        )
    assert endpoints(api.requests) == [
        "/v3/sensors/3917/hours",
        "/v3/sensors/3918/hours",
        "/v3/sensors/25227/hours",
        "/v3/sensors/5001/hours",
    ]
    assert api_client.tally.requests == 4 and later.renewed == {}
    assert [first.renewed[i].renew_after - NOW for i in (2178, 2180)] == [
        timedelta(hours=12),
        timedelta(hours=24),
    ]
    assert rows(later) == rows(first)
    assert len(rows(first)) == 16  # 4 AQI sensors x 4 hours, values and all
    assert ("2178", "3918", "Del Norte", "2024-01-01T04:00:00Z", None, None, "o3", "ppm", "0.071") in rows(
        later
    )


def kept(
    location_id: int, listed_at: datetime, *sensor_ids: int, due: timedelta = timedelta(hours=24)
) -> SensorList:
    sensors = tuple(ListedSensor(i, "pm25", "µg/m³") for i in sensor_ids)
    return SensorList(location_id, sensors, listed_at, listed_at - timedelta(hours=4), listed_at + due)


def test_a_run_renews_the_lists_it_holds_none_for_and_those_past_due() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    held = {1: kept(1, t0, 1), 2: kept(2, t0, 1, due=timedelta(hours=2))}
    assert lists_to_renew([1, 2, 3], held, t0 + timedelta(hours=1)) == {3}
    assert lists_to_renew([1, 2, 3], held, t0 + timedelta(hours=2)) == {2, 3}
    assert lists_to_renew([1, 2, 3], held, t0 + timedelta(hours=24)) == {1, 2, 3}


def test_lists_asked_for_the_first_time_together_fall_due_spread_over_the_next_day() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    due = renewal_times([4, 1, 3, 2, 9], {9: kept(9, t0 - timedelta(hours=30), 1)}, t0)
    assert due == {
        1: t0 + timedelta(hours=6),
        2: t0 + timedelta(hours=12),
        3: t0 + timedelta(hours=18),
        4: t0 + timedelta(hours=24),
        9: t0 + timedelta(hours=24),  # a renewal is due a day on
    }


def test_a_day_and_a_half_of_hourly_runs_at_100_locations_renews_about_a_24th_of_the_lists_a_run() -> None:
    t0 = datetime(2024, 1, 1, 4, 5, tzinfo=UTC)
    ids = range(100)
    held: dict[int, SensorList] = {}
    renewals = []
    for run in range(36):
        now = t0 + timedelta(hours=run)
        renew = lists_to_renew(ids, held, now)
        renewals.append(len(renew))
        due = renewal_times(renew, held, now)
        held |= {i: SensorList(i, (), now, now, due[i]) for i in renew}
        assert max(now - entry.listed_at for entry in held.values()) <= timedelta(hours=24)
    assert renewals[0] == 100
    assert set(renewals[1:]) == {4, 5} and sum(renewals[1:25]) == 100  # every list once a day, 4 or 5 a run


def test_a_sensor_first_listed_on_renewal_is_fetched_back_to_the_window_of_the_run_that_kept_the_list() -> (
    None
):
    api = albuquerque_api()
    listed = datetime(2024, 1, 1, 2, tzinfo=UTC)  # its run's window started 4 h earlier: 2023-12-31T22:00Z
    api.hours[3918] = hourly("o3", "ppm", 0.03, first_hour=0)  # o3 came in after the old list was kept
    held = {2178: kept(2178, listed, 3917), 2180: kept(2180, listed, 5001)}
    with serve(api) as base:
        fetch = openaq_api.fetch_window(
            client(base, Sleeps()), ALBUQUERQUE, *WINDOW, held, listed + timedelta(hours=25)
        )
    o3 = [r for r in api.requests if r.startswith("/v3/sensors/3918/")]
    assert o3 == [
        "/v3/sensors/3918/hours?datetime_from=2023-12-31T22%3A00%3A00Z&datetime_to=2024-01-01T04%3A00%3A00Z"
        "&limit=1000&page=1"
    ]
    assert [r[3] for r in rows(fetch) if r[1] == "3918"] == [f"2024-01-01T{h:02d}:00:00Z" for h in range(5)]
    pm25 = [r for r in api.requests if r.startswith("/v3/sensors/3917/")]
    assert pm25[0].startswith("/v3/sensors/3917/hours?datetime_from=2024-01-01T00%3A00%3A00Z")


def test_a_kept_list_naming_a_sensor_openaq_no_longer_knows_is_renewed_and_the_location_fetched_again() -> (
    None
):
    api = albuquerque_api()
    # South Valley's list is due anyway; Del Norte's is not, until its 999 turns out unknown.
    held = {2178: kept(2178, NOW, 3917, 999), 2180: kept(2180, NOW - timedelta(hours=25), 5001)}
    with serve(api) as base:
        fetch = openaq_api.fetch_window(client(base, Sleeps()), ALBUQUERQUE, *WINDOW, held, NOW)
    assert endpoints(api.requests) == [
        "/v3/sensors/3917/hours",
        "/v3/sensors/999/hours",  # 404
        "/v3/locations/2178/sensors",
        "/v3/sensors/3917/hours",
        "/v3/sensors/3918/hours",
        "/v3/sensors/25227/hours",
        "/v3/locations/2180/sensors",
        "/v3/sensors/5001/hours",
    ]
    assert sorted(fetch.renewed) == [2178, 2180]
    assert sorted({r[1] for r in rows(fetch)}) == ["25227", "3917", "3918", "5001"]
    assert len(rows(fetch)) == 16  # the first attempt's pm25 hours are not counted twice


def test_hourly_runs_at_100_locations_of_six_aqi_sensors_ask_700_requests_then_604_with_the_same_rows() -> (
    None
):
    # Six AQI sensors a location, like Del Norte: the figure docs/COSTS.md models the API wait from.
    locations = tuple(Location(10_000 + i, f"Station {i}", "UTC") for i in range(100))
    sensor = {"id": 0, "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}
    ids = {loc.id: [loc.id * 10 + k for k in range(6)] for loc in locations}
    api = FakeOpenAQ(
        sensors={loc: [{**sensor, "id": i} for i in sensor_ids] for loc, sensor_ids in ids.items()},
        hours={i: hourly("pm25", "µg/m³", i % 50) for sensor_ids in ids.values() for i in sensor_ids},
    )
    held: dict[int, SensorList] = {}
    per_run = []
    with serve(api) as base:
        for run in range(3):  # the same window each time, so the rows can be compared
            api_client = client(base, Sleeps())
            fetch = openaq_api.fetch_window(api_client, locations, *WINDOW, held, NOW + timedelta(hours=run))
            held |= fetch.renewed
            per_run.append((api_client.tally.as_json()["byEndpoint"], rows(fetch)))
    assert [endpoints for endpoints, _ in per_run] == [
        {"/v3/locations/{id}/sensors": 100, "/v3/sensors/{id}/hours": 600},
        {"/v3/locations/{id}/sensors": 4, "/v3/sensors/{id}/hours": 600},  # the first 4 of 100 fall due
        {"/v3/locations/{id}/sensors": 4, "/v3/sensors/{id}/hours": 600},
    ]
    assert per_run[1][1] == per_run[2][1] == per_run[0][1]
    assert len(per_run[0][1]) == 2400  # 600 sensors x 4 hours
