"""US EPA Air Quality Index, 2024 breakpoints: the pure-Python reference (no pyspark needed).

Authority: 89 FR 16202 (effective 2024-05-06) and EPA-454/B-24-002, the AQI Technical Assistance
Document. The breakpoints live in one place, ``aqi_jobs/data/aqi_breakpoints_2024.csv``, read with
``pkgutil`` so the module also works from the zip that ``--py-files`` ships to EMR. The Spark column
expressions in ``aqi_columns`` are built from the same table and are tested to agree with this module.

Arithmetic is ``Decimal`` throughout: 24 hours of 9.1 µg/m³ average to 9.0999… in binary floating point,
which truncates to 9.0 (AQI 50) instead of 9.1 (AQI 51). A sub-index is computed as
``(I_hi − I_lo) × (C − C_lo) / (C_hi − C_lo) + I_lo`` (multiply before dividing, so an exact ``.5`` stays
exact) and rounded half up, never half even.

Choices the EPA leaves open, fixed here so every run agrees:

* **Dominant pollutant tie-break.** When two pollutants share the highest sub-index, the first one in
  ``DOMINANCE_ORDER`` wins: PM2.5, O3, PM10, NO2, SO2, CO — the two pollutants that drive the AQI on
  most days in the US first, so a tie does not flip the headline pollutant between runs.
* **Concentrations outside a table's range.** The 8-hour O3 table stops at 0.200 ppm, the 1-hour O3 table
  starts at 0.125 ppm, the 1-hour SO2 table stops at 304 ppb and the 24-hour SO2 table starts at 305 ppb:
  outside those ranges :func:`sub_index` returns ``None`` ("this averaging defines no AQI here");
  :func:`o3_aqi` and :func:`so2_aqi` apply the EPA rules that combine the two averagings. Hazardous rows
  are extended linearly above AQI 500 (no cap since 2024).
* **NowCast fixed point.** The weight factor and its powers are rounded half up to
  ``NOWCAST_WEIGHT_SCALE`` decimals and the NowCast itself to ``NOWCAST_SCALE`` decimals before the
  truncation: far below the 0.1 µg/m³ truncation step, and exactly reproducible in Spark decimals.
"""

from __future__ import annotations

import argparse
import csv
import io
import pkgutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from functools import cache

BREAKPOINTS_RESOURCE = "data/aqi_breakpoints_2024.csv"

DOMINANCE_ORDER = ("pm25", "o3", "pm10", "no2", "so2", "co")

CATEGORY_COLORS: Mapping[str, str] = {
    "Good": "#00E400",
    "Moderate": "#FFFF00",
    "Unhealthy for Sensitive Groups": "#FF7E00",
    "Unhealthy": "#FF0000",
    "Very Unhealthy": "#8F3F97",
    "Hazardous": "#7E0023",
}

# The averaging period whose table a pollutant's headline AQI uses (the CLI default).
PRIMARY_AVERAGING: Mapping[str, str] = {
    "pm25": "24h",
    "pm10": "24h",
    "o3": "8h",
    "co": "8h",
    "no2": "1h",
    "so2": "1h",
}

NOWCAST_HOURS = 12
NOWCAST_MIN_WEIGHT = Decimal("0.5")
NOWCAST_WEIGHT_SCALE = 12
NOWCAST_SCALE = 18
NOWCAST_POLLUTANTS = ("pm25", "pm10")

# Enough significant digits that no intermediate result is rounded by the context, only by quantize.
_PRECISION = 80


class AqiInputError(ValueError):
    """A pollutant, averaging or concentration the AQI is not defined for."""


class UnknownPollutantError(AqiInputError):
    pass


class UnknownAveragingError(AqiInputError):
    pass


class InvalidConcentrationError(AqiInputError):
    pass


@dataclass(frozen=True)
class Breakpoint:
    """One row of the breakpoint table: a linear AQI segment for one pollutant and averaging."""

    pollutant: str
    averaging: str
    units: str
    truncate_to: Decimal
    category: str
    aqi_lo: int
    aqi_hi: int
    conc_lo: Decimal
    conc_hi: Decimal

    def index(self, concentration: Decimal) -> int:
        """The rounded AQI of a truncated concentration on this segment (also above it, for Hazardous)."""
        with localcontext(prec=_PRECISION):
            exact = (self.aqi_hi - self.aqi_lo) * (concentration - self.conc_lo) / (
                self.conc_hi - self.conc_lo
            ) + self.aqi_lo
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Category:
    name: str
    color: str
    aqi_lo: int
    aqi_hi: int | None


@cache
def breakpoints() -> tuple[Breakpoint, ...]:
    """The breakpoint table, in file order (per pollutant and averaging, ascending concentration)."""
    raw = pkgutil.get_data("aqi_jobs", BREAKPOINTS_RESOURCE)
    if raw is None:
        raise FileNotFoundError(f"aqi_jobs/{BREAKPOINTS_RESOURCE} is missing from the package")
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return tuple(
        Breakpoint(
            pollutant=row["pollutant"],
            averaging=row["averaging"],
            units=row["units"],
            truncate_to=Decimal(row["truncate_to"]),
            category=row["category"],
            aqi_lo=int(row["aqi_lo"]),
            aqi_hi=int(row["aqi_hi"]),
            conc_lo=Decimal(row["conc_lo"]),
            conc_hi=Decimal(row["conc_hi"]),
        )
        for row in rows
    )


def pollutants() -> tuple[str, ...]:
    return tuple(dict.fromkeys(bp.pollutant for bp in breakpoints()))


def averagings(pollutant: str) -> tuple[str, ...]:
    """The averaging periods the table defines for ``pollutant``, e.g. ``("8h", "1h")`` for O3."""
    found = tuple(dict.fromkeys(bp.averaging for bp in breakpoints() if bp.pollutant == pollutant))
    if not found:
        raise UnknownPollutantError(f"pollutant must be one of {', '.join(pollutants())}; got {pollutant!r}")
    return found


def table(pollutant: str, averaging: str) -> tuple[Breakpoint, ...]:
    """The segments of one pollutant and averaging, ascending."""
    allowed = averagings(pollutant)
    if averaging not in allowed:
        raise UnknownAveragingError(
            f"averaging for {pollutant} must be one of {', '.join(allowed)}; got {averaging!r}"
        )
    return tuple(bp for bp in breakpoints() if bp.pollutant == pollutant and bp.averaging == averaging)


def units(pollutant: str) -> str:
    return table(pollutant, averagings(pollutant)[0])[0].units


def truncation_step(pollutant: str) -> Decimal:
    return table(pollutant, averagings(pollutant)[0])[0].truncate_to


def truncate(pollutant: str, concentration: Decimal) -> Decimal:
    """Truncate (never round) to the pollutant's reporting step: 0.001 ppm O3, 0.1 PM2.5/CO, 1 others."""
    return _checked(concentration).quantize(truncation_step(pollutant), rounding=ROUND_DOWN)


def sub_index(pollutant: str, averaging: str, concentration: Decimal) -> int | None:
    """The AQI of one concentration on one table, or ``None`` where that table defines no AQI.

    ``None`` happens below the first row (1-hour O3 under 0.125 ppm, 24-hour SO2 under 305 ppb) and
    above the last row unless it is Hazardous (8-hour O3 over 0.200 ppm, 1-hour SO2 over 304 ppb).
    """
    segments = table(pollutant, averaging)
    c = truncate(pollutant, concentration)
    for bp in segments:
        if bp.conc_lo <= c <= bp.conc_hi:
            return bp.index(c)
    top = segments[-1]
    if c > top.conc_hi and top.category == "Hazardous":
        return top.index(c)
    return None


def category(aqi: int) -> Category:
    """The category (and its colour) an AQI value falls in; Hazardous is open-ended above 301."""
    if aqi < 0:
        raise AqiInputError(f"an AQI is never negative; got {aqi}")
    for cat in categories():
        if aqi >= cat.aqi_lo and (cat.aqi_hi is None or aqi <= cat.aqi_hi):
            return cat
    raise AssertionError(f"the category table leaves AQI {aqi} uncovered")  # pragma: no cover


@cache
def categories() -> tuple[Category, ...]:
    """The six categories with their AQI ranges, derived from the breakpoint table."""
    spans: dict[str, tuple[int, int]] = {}
    for bp in breakpoints():
        spans.setdefault(bp.category, (bp.aqi_lo, bp.aqi_hi))
    ordered = sorted(spans.items(), key=lambda item: item[1][0])
    return tuple(
        Category(name, CATEGORY_COLORS[name], lo, None if name == "Hazardous" else hi)
        for name, (lo, hi) in ordered
    )


def o3_aqi(avg_8h: Decimal | None, max_1h: Decimal | None) -> int | None:
    """O3: the 8-hour index is required; the 1-hour index counts from 0.125 ppm; report the higher.

    No valid 8-hour value means no O3 AQI (the 8-hour index is the required one). Above 0.200 ppm the
    8-hour table defines nothing and the 1-hour index alone is reported.
    """
    if avg_8h is None:
        return None
    found = [i for i in (sub_index("o3", "8h", avg_8h), _optional_index("o3", "1h", max_1h)) if i is not None]
    return max(found) if found else None


def so2_aqi(max_1h: Decimal | None, avg_24h: Decimal | None) -> int | None:
    """SO2: 1-hour values define the AQI up to 200; from 305 ppb the 24-hour average decides.

    If the 1-hour maximum is 305 ppb or more but the 24-hour average is below 305 ppb (or there is no
    valid 24-hour average), the AQI is 200.
    """
    if max_1h is None:
        return None
    one_hour = sub_index("so2", "1h", max_1h)
    if one_hour is not None:
        return one_hour
    day = _optional_index("so2", "24h", avg_24h)
    return day if day is not None else table("so2", "1h")[-1].aqi_hi


def dominant(indices: Mapping[str, int | None]) -> tuple[str, int] | None:
    """The pollutant with the highest sub-index and that index; ties go to ``DOMINANCE_ORDER``."""
    present = [(p, i) for p, i in indices.items() if i is not None]
    for p, _ in present:
        if p not in DOMINANCE_ORDER:
            raise UnknownPollutantError(f"pollutant must be one of {', '.join(DOMINANCE_ORDER)}; got {p!r}")
    if not present:
        return None
    return min(present, key=lambda pi: (-pi[1], DOMINANCE_ORDER.index(pi[0])))


def nowcast(newest_first: Sequence[Decimal | None]) -> Decimal | None:
    """EPA NowCast of up to 12 hourly values, ``newest_first[0]`` the current hour (``None`` = missing).

    Valid only if at least 2 of the 3 newest hours are present. ``w* = min / max`` over the present
    values, ``w = max(w*, 0.5)``; the result is the ``w^(i-1)``-weighted mean of the present values. All
    zeros give 0 (``w*`` is undefined there). Not truncated: see :func:`nowcast_aqi`.
    """
    hours = list(newest_first[:NOWCAST_HOURS])
    for c in hours:
        if c is not None:
            _checked(c)
    if sum(c is not None for c in hours[:3]) < 2:
        return None
    present = [(i, c) for i, c in enumerate(hours) if c is not None]
    highest = max(c for _, c in present)
    if highest == 0:
        return Decimal(0)
    weight_quantum = Decimal(1).scaleb(-NOWCAST_WEIGHT_SCALE)
    with localcontext(prec=_PRECISION):
        ratio = (min(c for _, c in present) / highest).quantize(weight_quantum, ROUND_HALF_UP)
        w = max(ratio, NOWCAST_MIN_WEIGHT)
        powers = [Decimal(1)]
        for _ in range(1, NOWCAST_HOURS):
            powers.append((powers[-1] * w).quantize(weight_quantum, ROUND_HALF_UP))
        numerator = sum((powers[i] * c for i, c in present), Decimal(0))
        denominator = sum((powers[i] for i, _ in present), Decimal(0))
        return (numerator / denominator).quantize(Decimal(1).scaleb(-NOWCAST_SCALE), ROUND_HALF_UP)


def nowcast_aqi(pollutant: str, newest_first: Sequence[Decimal | None]) -> int | None:
    """Hourly PM AQI: the NowCast, truncated, on the 24-hour table."""
    if pollutant not in NOWCAST_POLLUTANTS:
        raise UnknownPollutantError(
            f"NowCast pollutant must be one of {', '.join(NOWCAST_POLLUTANTS)}; got {pollutant!r}"
        )
    value = nowcast(newest_first)
    return None if value is None else sub_index(pollutant, "24h", value)


def _checked(concentration: Decimal) -> Decimal:
    if not isinstance(concentration, Decimal) or not concentration.is_finite():
        raise InvalidConcentrationError(
            f"concentration must be a finite Decimal such as Decimal('12.5'); got {concentration!r}"
        )
    if concentration < 0:
        raise InvalidConcentrationError(f"concentration must be >= 0; got {concentration}")
    return concentration


def _optional_index(pollutant: str, averaging: str, value: Decimal | None) -> int | None:
    return None if value is None else sub_index(pollutant, averaging, value)


def parse_concentration(text: str) -> Decimal:
    """A concentration from the command line: a finite, non-negative decimal number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidConcentrationError(
            f"concentration must be a decimal number such as 12.5; got {text!r}"
        ) from None
    if not value.is_finite():
        raise InvalidConcentrationError(f"concentration must be a finite number; got {text!r}")
    return _checked(value)


def _parser() -> argparse.ArgumentParser:
    defaults = ", ".join(f"{p} {a}" for p, a in PRIMARY_AVERAGING.items())
    lines = []
    for p in pollutants():
        lines.append(f"  {p:<5} {units(p):<6} averagings: {', '.join(averagings(p))}")
    parser = argparse.ArgumentParser(
        prog="python -m aqi_jobs.aqi",
        description="US EPA AQI (2024 breakpoints) of one concentration: prints the AQI and its category.",
        epilog=(
            "pollutants (concentration units, averagings):\n"
            + "\n".join(lines)
            + f"\ndefault averaging: {defaults}\n\n"
            "examples:\n"
            "  python -m aqi_jobs.aqi pm25 9.1          -> AQI 51 Moderate\n"
            "  python -m aqi_jobs.aqi o3 0.072 --averaging 8h\n"
            "exit status: 0 printed an AQI; 2 bad input or no AQI defined for that averaging"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pollutant", help=f"one of {', '.join(pollutants())}")
    parser.add_argument("concentration", help="non-negative decimal in the pollutant's units (see below)")
    parser.add_argument("--averaging", help="1h, 8h or 24h; must be one the pollutant's table defines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        averaging = args.averaging or PRIMARY_AVERAGING.get(args.pollutant) or averagings(args.pollutant)[0]
        concentration = parse_concentration(args.concentration)
        aqi = sub_index(args.pollutant, averaging, concentration)
    except AqiInputError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    unit = units(args.pollutant)
    if aqi is None:
        segments = table(args.pollutant, averaging)
        others = [a for a in averagings(args.pollutant) if a != averaging]
        parser.exit(
            2,
            f"{parser.prog}: error: the {averaging} {args.pollutant} table defines an AQI only from "
            f"{segments[0].conc_lo} to {segments[-1].conc_hi} {unit}; got {concentration} "
            f"(use --averaging {' or '.join(others)})\n",
        )
    cat = category(aqi)
    print(f"{args.pollutant} {averaging} {concentration} {unit}: AQI {aqi} {cat.name} ({cat.color})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
