"""The locations a run ingests: the JSON the CDK app writes to ``config/locations.json``.

Format: ``[{"id": 2178, "name": "Del Norte", "timezone": "America/Denver"}]``.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aqi_jobs.stage import Location


class InvalidLocationsError(ValueError):
    """The locations document is not a non-empty list of valid locations."""


def parse_locations(text: str, source: str) -> tuple[Location, ...]:
    """Validate the locations document read from ``source`` (named in every error)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidLocationsError(f"{source}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, list) or not document:
        raise InvalidLocationsError(
            f'{source}: expected a non-empty JSON array like [{{"id": 2178, "name": "Del Norte", '
            f'"timezone": "America/Denver"}}]; got {type(document).__name__}'
        )
    locations = tuple(_location(entry, f"{source}[{index}]") for index, entry in enumerate(document))
    seen: set[int] = set()
    for location in locations:
        if location.id in seen:
            raise InvalidLocationsError(f"{source}: location id {location.id} appears more than once")
        seen.add(location.id)
    return locations


def _location(entry: object, where: str) -> Location:
    if not isinstance(entry, dict):
        raise InvalidLocationsError(f"{where}: expected an object with id, name, timezone; got {entry!r}")
    location_id = entry.get("id")
    if isinstance(location_id, bool) or not isinstance(location_id, int) or location_id <= 0:
        raise InvalidLocationsError(
            f"{where}.id: expected a positive integer OpenAQ location id; got {location_id!r}"
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidLocationsError(f"{where}.name: expected a non-empty string; got {name!r}")
    timezone = entry.get("timezone")
    if not isinstance(timezone, str):
        raise InvalidLocationsError(
            f"{where}.timezone: expected an IANA zone like 'America/Denver'; got {timezone!r}"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidLocationsError(
            f"{where}.timezone: {timezone!r} is not an IANA time zone (e.g. 'America/Denver')"
        ) from None
    return Location(id=location_id, name=name, timezone=timezone)
