"""The benchmark record: machine, date and commit around the series, and the JSON Schema it must meet."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime

import jsonschema

from bench.lab import REPO

SCHEMA_ID = "aqi-pipeline-bench/1"
SERIES = ("a", "b", "c", "d", "e", "f")

_SERIES_RECORD = {
    "type": "object",
    "required": ["samples", "summary"],
    "properties": {"samples": {"type": "array", "minItems": 1}, "summary": {"type": "object"}},
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "mode", "machine", "date", "commit", "series"],
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "mode": {"enum": ["quick", "full", "self-check"]},
        "date": {"type": "string", "format": "date-time"},
        "commit": {
            "type": "object",
            "required": ["sha", "dirty"],
            "properties": {
                "sha": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
                "dirty": {"type": "boolean"},
            },
        },
        "machine": {
            "type": "object",
            "required": ["cpus", "memoryGiB", "os", "python", "java", "node", "loadAverageAtStart"],
        },
        "wallSeconds": {"type": "number", "minimum": 0},
        "series": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {
                "a": _SERIES_RECORD,
                "b": _SERIES_RECORD,
                "c": {"type": "object", "required": ["hourly", "backfill"]},
                "d": _SERIES_RECORD,
                "e": _SERIES_RECORD,
                "f": _SERIES_RECORD,
            },
        },
    },
}


def _output(command: list[str]) -> str:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    return (done.stdout or done.stderr).strip()


def machine() -> dict:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    java = _output(["java", "-version"]).splitlines()
    return {
        "cpus": os.cpu_count(),
        "memoryGiB": round(memory, 1),
        "os": f"{platform.system()} {platform.release()}",
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "java": java[0] if java else "unknown",
        "node": _output(["node", "--version"]),
        "loadAverageAtStart": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def commit() -> dict:
    return {
        "sha": _output(["git", "rev-parse", "HEAD"]),
        "dirty": bool(_output(["git", "status", "--porcelain", "--untracked-files=no"])),
    }


def new_record(mode: str) -> dict:
    return {
        "schema": SCHEMA_ID,
        "mode": mode,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "series": {},
    }


def validate(record: dict) -> None:
    """Raise ``jsonschema.ValidationError`` (naming the path) when the record breaks the schema."""
    jsonschema.validate(record, SCHEMA)
