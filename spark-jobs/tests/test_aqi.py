"""Specification of the pure-Python EPA AQI core (aqi_jobs.aqi) and its command line."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from aqi_jobs import aqi

SPARK_JOBS = Path(__file__).resolve().parents[1]
EXAMPLES = list(csv.DictReader((Path(__file__).parent / "data" / "aqi_examples_2024.csv").open()))
D = Decimal


@pytest.mark.parametrize(
    "row", EXAMPLES, ids=[f"{r['pollutant']}-{r['averaging']}-{r['concentration']}" for r in EXAMPLES]
)
def test_every_reference_example_gets_its_expected_aqi_and_category(row: dict[str, str]) -> None:
    index = aqi.sub_index(row["pollutant"], row["averaging"], D(row["concentration"]))
    assert index == int(row["expected_aqi"])
    assert aqi.category(index).name == row["category"]


def test_reference_examples_cover_every_table_of_the_breakpoint_file() -> None:
    tables = {(bp.pollutant, bp.averaging) for bp in aqi.breakpoints()}
    assert {(r["pollutant"], r["averaging"]) for r in EXAMPLES} == tables


def test_a_day_of_9_1_ug_m3_pm25_averages_to_exactly_9_1_and_is_moderate_51() -> None:
    day_mean = sum([D("9.1")] * 24, D(0)) / 24
    assert day_mean == D("9.1")
    assert aqi.sub_index("pm25", "24h", day_mean) == 51


def test_a_float_concentration_is_refused_because_binary_floats_break_truncation() -> None:
    with pytest.raises(aqi.InvalidConcentrationError, match=r"finite Decimal .* got 9\.1"):
        aqi.sub_index("pm25", "24h", 9.1)  # type: ignore[arg-type]


def test_o3_8h_0_072_ppm_rounds_104_5_half_up_to_105() -> None:
    assert aqi.sub_index("o3", "8h", D("0.072")) == 105


@pytest.mark.parametrize(
    ("pollutant", "concentration", "truncated"),
    [
        ("pm25", "9.09", "9.0"),
        ("co", "4.49", "4.4"),
        ("o3", "0.0549", "0.054"),
        ("pm10", "54.9", "54"),
        ("no2", "53.99", "53"),
        ("so2", "35.7", "35"),
    ],
)
def test_concentrations_are_truncated_to_the_reporting_step_never_rounded(
    pollutant: str, concentration: str, truncated: str
) -> None:
    assert aqi.truncate(pollutant, D(concentration)) == D(truncated)


@pytest.mark.parametrize(
    ("pollutant", "averaging", "concentration", "expected"),
    [
        ("pm25", "24h", "1000.0", 1844),
        ("pm10", "24h", "700", 607),
        ("no2", "1h", "3000", 737),
        ("co", "8h", "60.0", 596),
        ("o3", "1h", "0.700", 596),
        ("so2", "24h", "1200", 598),
    ],
)
def test_hazardous_extends_linearly_above_aqi_500(
    pollutant: str, averaging: str, concentration: str, expected: int
) -> None:
    assert aqi.sub_index(pollutant, averaging, D(concentration)) == expected


@pytest.mark.parametrize(
    ("pollutant", "averaging", "concentration"),
    [("o3", "8h", "0.201"), ("o3", "1h", "0.124"), ("so2", "1h", "305"), ("so2", "24h", "304")],
)
def test_a_table_defines_no_aqi_outside_its_range_unless_hazardous(
    pollutant: str, averaging: str, concentration: str
) -> None:
    assert aqi.sub_index(pollutant, averaging, D(concentration)) is None


@pytest.mark.parametrize(
    ("avg_8h", "max_1h", "expected"),
    [
        ("0.070", "0.100", 100),  # 1h below 0.125 ppm defines nothing: the 8h index stands
        ("0.070", "0.130", 107),  # 1h index 107.3 beats 8h 100
        ("0.090", "0.130", 161),  # 8h index 161 beats 1h 107
        ("0.250", "0.420", 316),  # 8h above 0.200 defines nothing: the 1h index alone
        ("0.060", None, 67),  # no 1h maximum: the 8h index
    ],
)
def test_o3_reports_the_higher_of_the_8h_and_1h_indices(
    avg_8h: str, max_1h: str | None, expected: int
) -> None:
    assert aqi.o3_aqi(D(avg_8h), None if max_1h is None else D(max_1h)) == expected


def test_o3_without_a_valid_8h_value_has_no_aqi_even_with_a_high_1h_value() -> None:
    assert aqi.o3_aqi(None, D("0.300")) is None


@pytest.mark.parametrize(
    ("max_1h", "avg_24h", "expected"),
    [
        ("100", "999", 112),  # 1h below 305 ppb: the 1h table decides, the 24h value is irrelevant
        ("304", None, 200),
        ("400", "350", 216),  # 1h at or above 305: the 24h average on the 24h rows
        ("400", "300", 200),  # ... but a 24h average below 305 gives 200
        ("400", None, 200),  # ... and so does an incomplete day
        ("900", "700", 348),
    ],
)
def test_so2_uses_1h_up_to_200_and_the_24h_average_from_305_ppb(
    max_1h: str, avg_24h: str | None, expected: int
) -> None:
    assert aqi.so2_aqi(D(max_1h), None if avg_24h is None else D(avg_24h)) == expected


def test_so2_without_hourly_values_has_no_aqi() -> None:
    assert aqi.so2_aqi(None, D("400")) is None


@pytest.mark.parametrize(
    ("index", "name", "color"),
    [
        (0, "Good", "#00E400"),
        (50, "Good", "#00E400"),
        (51, "Moderate", "#FFFF00"),
        (100, "Moderate", "#FFFF00"),
        (101, "Unhealthy for Sensitive Groups", "#FF7E00"),
        (150, "Unhealthy for Sensitive Groups", "#FF7E00"),
        (151, "Unhealthy", "#FF0000"),
        (200, "Unhealthy", "#FF0000"),
        (201, "Very Unhealthy", "#8F3F97"),
        (300, "Very Unhealthy", "#8F3F97"),
        (301, "Hazardous", "#7E0023"),
        (500, "Hazardous", "#7E0023"),
        (1844, "Hazardous", "#7E0023"),
    ],
)
def test_each_aqi_falls_in_its_category_with_the_epa_colour(index: int, name: str, color: str) -> None:
    assert (aqi.category(index).name, aqi.category(index).color) == (name, color)


def test_a_negative_aqi_has_no_category() -> None:
    with pytest.raises(aqi.AqiInputError, match="never negative; got -1"):
        aqi.category(-1)


def test_the_dominant_pollutant_is_the_one_with_the_highest_sub_index() -> None:
    assert aqi.dominant({"o3": 120, "pm25": 80, "no2": None}) == ("o3", 120)


def test_a_dominant_tie_goes_to_pm25_then_o3_then_pm10_then_no2_then_so2_then_co() -> None:
    assert aqi.dominant({"co": 60, "so2": 60, "no2": 60, "pm10": 60, "o3": 60, "pm25": 60}) == ("pm25", 60)
    assert aqi.dominant({"co": 60, "so2": 60, "no2": 60, "pm10": 60, "o3": 60}) == ("o3", 60)
    assert aqi.dominant({"co": 60, "so2": 60, "no2": 60, "pm10": 60}) == ("pm10", 60)
    assert aqi.dominant({"co": 60, "so2": 60, "no2": 60}) == ("no2", 60)
    assert aqi.dominant({"co": 60, "so2": 60}) == ("so2", 60)


def test_no_sub_index_means_no_dominant_pollutant() -> None:
    assert aqi.dominant({"o3": None}) is None


def test_nowcast_needs_two_of_the_three_newest_hours() -> None:
    assert aqi.nowcast([None, None, D(10), D(10), D(10)]) is None
    assert aqi.nowcast([D(10), None, None, D(10)]) is None
    # w = 10/12: (10w + 12w²) / (w + w²) = 120/11, up to the 12-decimal fixed point of the weights
    assert abs(aqi.nowcast([None, D(10), D(12)]) - D(120) / D(11)) < D("1e-12")


def test_nowcast_of_all_zero_hours_is_zero() -> None:
    assert aqi.nowcast([D(0)] * 12) == D(0)


def test_nowcast_weight_is_floored_at_one_half() -> None:
    # w* = 10/40 = 0.25 -> w = 0.5: (40 + 0.5*10) / 1.5 = 30 (with 0.25 it would be 34)
    assert aqi.nowcast([D(40), D(10)]) == D(30)


def test_nowcast_weights_hours_by_powers_of_min_over_max() -> None:
    # w = 8/10 = 0.8: (10 + 0.8*8 + 0.64*10) / (1 + 0.8 + 0.64) = 22.8 / 2.44
    assert aqi.nowcast([D(10), D(8), D(10)]) == D("9.344262295081967213")


def test_nowcast_uses_only_the_twelve_newest_hours() -> None:
    assert aqi.nowcast([D(10)] * 12 + [D(1000)]) == D(10)


def test_hourly_pm_aqi_truncates_the_nowcast_and_uses_the_24h_table() -> None:
    assert aqi.nowcast_aqi("pm25", [D(10), D(8), D(10)]) == 51  # 9.344 -> 9.3 -> 51
    assert aqi.nowcast_aqi("pm10", [D("54.9"), D("54.9")]) == 50


def test_nowcast_is_defined_for_particulates_only() -> None:
    with pytest.raises(aqi.UnknownPollutantError, match="must be one of pm25, pm10; got 'o3'"):
        aqi.nowcast_aqi("o3", [D(1), D(1)])


def test_nowcast_refuses_a_negative_hour() -> None:
    with pytest.raises(aqi.InvalidConcentrationError, match=">= 0; got -1"):
        aqi.nowcast([D(1), D(-1)])


def test_an_unknown_pollutant_is_named_with_the_allowed_ones() -> None:
    with pytest.raises(aqi.UnknownPollutantError, match="one of pm25, pm10, o3, co, so2, no2; got 'pm1'"):
        aqi.sub_index("pm1", "24h", D(1))


def test_an_averaging_the_pollutant_has_no_table_for_is_named_with_the_allowed_ones() -> None:
    with pytest.raises(aqi.UnknownAveragingError, match="averaging for o3 must be one of 8h, 1h; got '24h'"):
        aqi.sub_index("o3", "24h", D("0.05"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aqi_jobs.aqi", *args],
        cwd=SPARK_JOBS,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_prints_the_aqi_and_category_using_the_pollutants_primary_averaging(capsys) -> None:
    assert aqi.main(["pm25", "9.1"]) == 0
    assert capsys.readouterr().out == "pm25 24h 9.1 ug/m3: AQI 51 Moderate (#FFFF00)\n"


def test_cli_takes_an_explicit_averaging(capsys) -> None:
    assert aqi.main(["o3", "0.130", "--averaging", "1h"]) == 0
    assert capsys.readouterr().out == "o3 1h 0.130 ppm: AQI 107 Unhealthy for Sensitive Groups (#FF7E00)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["benzene", "1"], "pollutant must be one of pm25, pm10, o3, co, so2, no2; got 'benzene'"),
        (["pm25", "1", "--averaging", "8h"], "averaging for pm25 must be one of 24h; got '8h'"),
        (["pm25", "-3"], "concentration must be >= 0; got -3"),
        (["pm25", "abc"], "concentration must be a decimal number such as 12.5; got 'abc'"),
        (["pm25", "nan"], "concentration must be a finite number; got 'nan'"),
        (
            ["o3", "0.3"],
            "the 8h o3 table defines an AQI only from 0.000 to 0.200 ppm; got 0.3 (use --averaging 1h)",
        ),
    ],
)
def test_cli_rejects_bad_input_with_a_clear_message_and_exit_2(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"python -m aqi_jobs.aqi: error: {message}\n"


def test_cli_help_lists_pollutants_units_and_averagings() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "  o3    ppm    averagings: 8h, 1h\n" in result.stdout
    assert "  so2   ppb    averagings: 1h, 24h\n" in result.stdout


def test_the_module_imports_without_pyspark() -> None:
    code = (
        "import sys; sys.modules['pyspark'] = None\n"
        "from aqi_jobs import aqi\n"
        "print(aqi.sub_index('co', '8h', aqi.Decimal('4.5')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=SPARK_JOBS, capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "51\n", "")


def test_the_breakpoint_table_loads_from_the_zip_that_emr_receives_with_py_files(tmp_path: Path) -> None:
    bundle = tmp_path / "aqi_jobs.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for path in (SPARK_JOBS / "aqi_jobs").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(SPARK_JOBS).as_posix())
    result = subprocess.run(
        # -S: no site-packages, so the package (and its breakpoint CSV) can only come from the zip.
        [sys.executable, "-S", "-m", "aqi_jobs.aqi", "pm10", "155"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(bundle)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (
        0,
        "pm10 24h 155 ug/m3: AQI 101 Unhealthy for Sensitive Groups (#FF7E00)\n",
    )
