"""The locations document (--locations-uri) is validated with errors that name the entry and field."""

from __future__ import annotations

import pytest

from aqi_jobs.locations import InvalidLocationsError, parse_locations
from aqi_jobs.stage import Location

SOURCE = "s3://artifacts/config/locations.json"


def test_a_valid_document_parses_into_locations_in_order() -> None:
    text = (
        '[{"id": 2178, "name": "Del Norte", "timezone": "America/Denver"},'
        ' {"id": 8118, "name": "New Delhi", "timezone": "Asia/Kolkata"}]'
    )
    assert parse_locations(text, SOURCE) == (
        Location(2178, "Del Norte", "America/Denver"),
        Location(8118, "New Delhi", "Asia/Kolkata"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{", f"{SOURCE}: not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ("[]", f"{SOURCE}: expected a non-empty JSON array like"),
        ('{"id": 1}', f"{SOURCE}: expected a non-empty JSON array like"),
        ("[7]", f"{SOURCE}[0]: expected an object with id, name, timezone; got 7"),
        (
            '[{"id": "2178", "name": "x", "timezone": "UTC"}]',
            f"{SOURCE}[0].id: expected a positive integer OpenAQ location id; got '2178'",
        ),
        (
            '[{"id": true, "name": "x", "timezone": "UTC"}]',
            f"{SOURCE}[0].id: expected a positive integer OpenAQ location id; got True",
        ),
        (
            '[{"id": 1, "name": " ", "timezone": "UTC"}]',
            f"{SOURCE}[0].name: expected a non-empty string; got ' '",
        ),
        (
            '[{"id": 1, "name": "x"}]',
            f"{SOURCE}[0].timezone: expected an IANA zone like 'America/Denver'; got None",
        ),
        (
            '[{"id": 1, "name": "x", "timezone": "UTC"}, {"id": 1, "name": "y", "timezone": "UTC"}]',
            f"{SOURCE}: location id 1 appears more than once",
        ),
        (
            '[{"id": 1, "name": "x", "timezone": "America/Atlantis"}]',
            f"{SOURCE}[0].timezone: 'America/Atlantis' is not an IANA time zone (e.g. 'America/Denver')",
        ),
    ],
)
def test_an_invalid_document_is_refused_naming_the_entry_field_and_value(text: str, message: str) -> None:
    with pytest.raises(InvalidLocationsError) as raised:
        parse_locations(text, SOURCE)
    assert str(raised.value).startswith(message)
