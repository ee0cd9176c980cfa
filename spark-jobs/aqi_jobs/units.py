"""Pollutants, unit spellings and the conversion of OpenAQ concentrations to the units the AQI uses.

One table (``CONVERSIONS``) is the single source: the pure-Python ``to_aqi_units`` (the reference, and what
tests check against) and the Spark column expression in ``aqi_jobs.observations`` are both built from it,
so they cannot disagree. Arithmetic is in ``Decimal``: floats turn 9.1 into 9.0999… and the AQI truncation
then lands in the wrong category.

Gas conversions use the EPA convention of 25 °C and 1 atm, where one mole of gas takes 24.45 L:
``µg/m³ = ppb × MW / 24.45``, so ``ppb = µg/m³ × 24.45 / MW``; ppm ↔ ppb is an exact factor of 1000.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Units the AQI breakpoints are expressed in (EPA-454/B-24-002).
AQI_UNITS: dict[str, str] = {
    "pm25": "ug/m3",
    "pm10": "ug/m3",
    "o3": "ppm",
    "co": "ppm",
    "no2": "ppb",
    "so2": "ppb",
}
POLLUTANTS: tuple[str, ...] = tuple(AQI_UNITS)

# Molar masses (g/mol) of the gases, as used by EPA's conversion tables.
MOLAR_MASS: dict[str, Decimal] = {
    "o3": Decimal("48.00"),
    "co": Decimal("28.01"),
    "no2": Decimal("46.01"),
    "so2": Decimal("64.07"),
}
MOLAR_VOLUME_LITRES = Decimal("24.45")

# Every spelling OpenAQ uses for the same unit folds to one canonical token: lower case, no spaces, the
# micro sign (U+00B5) and Greek mu (U+03BC) as "u", superscript three as "3".
SPELLING_FROM = "µμ³"
SPELLING_TO = "uu3"
CANONICAL_UNITS: tuple[str, ...] = ("ug/m3", "mg/m3", "ppm", "ppb")

# Decimal places of Silver's value column (DECIMAL(18,6)).
VALUE_SCALE = 6
_QUANTUM = Decimal(1).scaleb(-VALUE_SCALE)


def _conversion_table() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(pollutant, canonical unit) -> (multiplier, divisor) that brings a value into AQI units."""
    one, thousand = Decimal(1), Decimal(1000)
    table: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for pm in ("pm25", "pm10"):
        table[(pm, "ug/m3")] = (one, one)
        table[(pm, "mg/m3")] = (thousand, one)
    for gas, mw in MOLAR_MASS.items():
        per_ppm = thousand if AQI_UNITS[gas] == "ppb" else one
        table[(gas, "ppm")] = (per_ppm, one)
        table[(gas, "ppb")] = (per_ppm, thousand)
        # µg/m³ -> ppb is × 24.45 / MW; mg/m³ is a thousand µg/m³.
        table[(gas, "ug/m3")] = (MOLAR_VOLUME_LITRES * per_ppm, mw * thousand)
        table[(gas, "mg/m3")] = (MOLAR_VOLUME_LITRES * per_ppm, mw)
    return table


CONVERSIONS: dict[tuple[str, str], tuple[Decimal, Decimal]] = _conversion_table()

# OpenAQ's own upper bounds of a plausible reading, in AQI units (OpenAQ data-quality notes).
PLAUSIBLE_MAX: dict[str, Decimal] = {
    "pm25": Decimal("1000"),
    "pm10": Decimal("1500"),
    "co": Decimal("100"),
    "no2": Decimal("500"),
    "o3": Decimal("0.5"),
    "so2": Decimal("2000"),
}

# Instruments report small negatives around a true zero. A reading down to this floor (AQI units) is kept
# as measured so the hourly mean stays unbiased, and Silver clamps a negative hourly mean to zero; a reading
# below it is a fault, not noise, and is quarantined.
NOISE_FLOOR: dict[str, Decimal] = {
    "pm25": Decimal("-5"),
    "pm10": Decimal("-5"),
    "o3": Decimal("-0.005"),
    "co": Decimal("-0.5"),
    "no2": Decimal("-5"),
    "so2": Decimal("-5"),
}

MISSING_SENTINEL = Decimal("-999")


class UnknownUnitError(ValueError):
    """A unit spelling or a (pollutant, unit) pair the pipeline cannot convert."""


def canonical_unit(spelling: str) -> str:
    """Fold an OpenAQ unit spelling (``µg/m³``, ``μg/m3``, ``UG/M3``) to its canonical token."""
    folded = spelling.translate(str.maketrans(SPELLING_FROM, SPELLING_TO)).lower().replace(" ", "")
    if folded not in CANONICAL_UNITS:
        raise UnknownUnitError(
            f"unit {spelling!r} is not a known concentration unit; allowed: {', '.join(CANONICAL_UNITS)} "
            f"(any spelling of µ, μ or u and of ³ or 3)"
        )
    return folded


def to_aqi_units(pollutant: str, value: Decimal, unit_spelling: str) -> Decimal:
    """``value`` measured in ``unit_spelling``, in the AQI units of ``pollutant``: 6 places, half-up."""
    if pollutant not in AQI_UNITS:
        raise UnknownUnitError(f"pollutant {pollutant!r} is not one of {', '.join(POLLUTANTS)}")
    unit = canonical_unit(unit_spelling)
    try:
        multiplier, divisor = CONVERSIONS[(pollutant, unit)]
    except KeyError:
        raise UnknownUnitError(f"{pollutant} cannot be measured in {unit_spelling!r}") from None
    return (value * multiplier / divisor).quantize(_QUANTUM, rounding=ROUND_HALF_UP)
