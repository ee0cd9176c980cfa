"""Unit spellings fold to one token and concentrations convert to AQI units exactly, in Spark as in Python."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812

from aqi_jobs import observations, units
from aqi_jobs.units import UnknownUnitError, canonical_unit, to_aqi_units

D = Decimal


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("µg/m³", "ug/m3"),  # U+00B5 micro sign, superscript three
        ("μg/m3", "ug/m3"),  # U+03BC Greek mu
        ("ug/m3", "ug/m3"),
        ("UG / M3", "ug/m3"),
        ("mg/m³", "mg/m3"),
        (" ppm ", "ppm"),
        ("PPB", "ppb"),
    ],
)
def test_every_openaq_spelling_of_a_unit_folds_to_its_canonical_token(spelling: str, canonical: str) -> None:
    assert canonical_unit(spelling) == canonical


def test_an_unknown_unit_is_refused_with_its_spelling_and_the_allowed_units() -> None:
    with pytest.raises(
        UnknownUnitError, match=r"unit 'ppt' is not a known concentration unit; allowed: ug/m3, mg/m3"
    ):
        canonical_unit("ppt")


@pytest.mark.parametrize(
    ("pollutant", "value", "unit", "expected"),
    [
        ("pm25", "12.3", "µg/m³", "12.300000"),
        ("pm10", "0.054", "mg/m3", "54.000000"),
        ("o3", "0.0412", "ppm", "0.041200"),
        ("o3", "41.2", "ppb", "0.041200"),
        # 100 × 24.45 / 48.00 / 1000 = 0.0509375, half-up at the sixth place
        ("o3", "100", "µg/m³", "0.050938"),
        ("co", "1000", "ug/m3", "0.872903"),  # 24450 / 28010 = 0.87290253…
        ("co", "1.2", "mg/m3", "1.047483"),  # 1.2 × 24.45 / 28.01 = 1.04748304…
        ("no2", "0.035", "ppm", "35.000000"),
        ("no2", "100", "μg/m3", "53.140622"),  # 2445 / 46.01 = 53.1406216…
        ("so2", "100", "ug/m3", "38.161386"),  # 2445 / 64.07 = 38.1613860…
        ("so2", "-999", "ppb", "-999.000000"),
    ],
)
def test_a_concentration_converts_to_the_units_of_its_aqi_breakpoints(
    pollutant: str, value: str, unit: str, expected: str
) -> None:
    assert to_aqi_units(pollutant, D(value), unit) == D(expected)


def test_particulate_matter_in_a_gas_unit_is_refused() -> None:
    with pytest.raises(UnknownUnitError, match=r"pm25 cannot be measured in 'ppm'"):
        to_aqi_units("pm25", D("1"), "ppm")


def test_a_pollutant_outside_the_aqi_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(UnknownUnitError, match=r"pollutant 'no' is not one of pm25, pm10, o3, co, no2, so2"):
        to_aqi_units("no", D("1"), "ppm")


def test_every_aqi_pollutant_has_a_plausible_maximum_and_a_noise_floor() -> None:
    assert set(units.PLAUSIBLE_MAX) == set(units.POLLUTANTS) == set(units.NOISE_FLOOR)


SPELLINGS = {"ug/m3": "µg/m³", "mg/m3": "mg/m3", "ppm": "ppm", "ppb": "ppb"}
VALUES = [D("0"), D("0.001"), D("0.0509375"), D("1.2"), D("35.4"), D("499.999999"), D("-3.5")]


def test_spark_conversion_equals_the_python_reference_for_every_pair_and_value(spark: SparkSession) -> None:
    grid = [(p, SPELLINGS[u], str(v)) for (p, u) in units.CONVERSIONS for v in VALUES]
    frame = spark.createDataFrame(grid, "pollutant string, units string, value string")
    unit = observations.canonical_unit(F.col("units"))
    converted = observations.in_aqi_units(
        observations.decimal_value(F.col("value")), F.col("pollutant"), unit
    )
    rows = frame.select(
        "pollutant", "units", "value", converted.cast(observations.VALUE_DECIMAL).alias("c")
    ).collect()
    mismatches = [
        (r.pollutant, r.units, r.value, r.c, to_aqi_units(r.pollutant, D(r.value), r.units))
        for r in rows
        if r.c != to_aqi_units(r.pollutant, D(r.value), r.units)
    ]
    assert len(rows) == len(grid)
    assert mismatches == []
