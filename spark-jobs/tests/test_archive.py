"""The archive reader lists files per location-month and decodes each file whole, rejecting damaged ones."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
from fixtures import assert_rows
from fixtures.openaq import archive_csv, write_archive_file
from pyspark.sql import SparkSession

from aqi_jobs.sources import archive

ROW = (2178, 3917, "Del Norte", "2023-02-22T01:00:00-07:00", 35.1353, -106.5847, "pm25", "µg/m³", 6.2)
TEXT_ROW = (
    "2178",
    "3917",
    "Del Norte",
    "2023-02-22T01:00:00-07:00",
    "35.1353",
    "-106.5847",
    "pm25",
    "µg/m³",
    "6.2",
)


def test_a_pandas_written_file_decodes_to_text_fields_whatever_the_quoting_and_line_ends() -> None:
    for quote_numbers in (True, False):
        decoded = archive.decode_file(
            gzip.compress(archive_csv([ROW, ROW[:8] + ("-999",)], quote_numbers=quote_numbers))
        )
        assert decoded.error is None
        assert decoded.rows == [TEXT_ROW, TEXT_ROW[:8] + ("-999",)]


def test_a_byte_order_mark_before_the_header_is_ignored() -> None:
    decoded = archive.decode_file(gzip.compress(b"\xef\xbb\xbf" + archive_csv([ROW])))
    assert decoded == archive.DecodedFile([TEXT_ROW])


def test_a_truncated_gzip_is_rejected_and_its_readable_complete_lines_counted() -> None:
    rows = [ROW[:8] + (f"{i}.{i * 7 % 10}",) for i in range(2000)]
    whole = gzip.compress(archive_csv(rows))
    decoded = archive.decode_file(whole[: len(whole) // 2])
    assert decoded.error == "truncated gzip: the compressed stream ends early"
    readable = len(decoded.rows)
    assert 0 < readable < 2000
    assert decoded.rows == [TEXT_ROW[:8] + (f"{i}.{i * 7 % 10}",) for i in range(readable)]


def test_a_file_that_is_not_gzip_is_rejected() -> None:
    decoded = archive.decode_file(archive_csv([ROW]))
    assert decoded.error is not None and decoded.error.startswith("not a valid gzip file")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file: 0 bytes, not even a gzip header"),
        (gzip.compress(b""), "no header line: the gzip stream holds no CSV text"),
        (gzip.compress(b"\r\n\r\n"), "no header line: the gzip stream holds no CSV text"),
    ],
)
def test_an_empty_file_is_rejected_not_read_as_zero_rows(content: bytes, reason: str) -> None:
    assert archive.decode_file(content) == archive.DecodedFile([], reason)


def test_a_file_with_a_different_header_is_rejected_naming_both_headers() -> None:
    header = ("location_id", "sensors_id", "location", "datetime", "lat", "lon", "parameter", "unit", "value")
    decoded = archive.decode_file(gzip.compress(archive_csv([ROW], header=header)))
    assert decoded.error == f"unexpected header {list(header)!r}; expected {list(archive.RAW_COLUMNS)!r}"
    assert decoded.rows == [TEXT_ROW]


def test_garbage_lines_keep_the_archive_width_so_silver_can_quarantine_them() -> None:
    content = archive_csv([]) + b"garbage\r\n" + b'"2178","3917","x","y","1","2","pm25","ppm","1","extra"\r\n'
    decoded = archive.decode_file(gzip.compress(content))
    assert decoded.error is None
    assert decoded.rows == [
        ("garbage", None, None, None, None, None, None, None, None),
        ("2178", "3917", "x", "y", "1", "2", "pm25", "ppm", "1,extra"),
    ]


def test_month_prefixes_cover_every_month_of_the_window_across_a_year_end() -> None:
    assert archive.month_prefixes(
        "s3://openaq-data-archive/", 2178, date(2023, 12, 30), date(2024, 2, 1)
    ) == [
        "s3://openaq-data-archive/records/csv.gz/locationid=2178/year=2023/month=12/",
        "s3://openaq-data-archive/records/csv.gz/locationid=2178/year=2024/month=01/",
        "s3://openaq-data-archive/records/csv.gz/locationid=2178/year=2024/month=02/",
    ]


def test_a_key_names_its_local_day_only_when_the_location_ids_agree() -> None:
    assert archive.file_day(
        "x/records/csv.gz/locationid=7/year=2024/month=02/location-7-20240229.csv.gz"
    ) == date(2024, 2, 29)
    assert (
        archive.file_day("records/csv.gz/locationid=7/year=2024/month=02/location-8-20240229.csv.gz") is None
    )
    assert (
        archive.file_day("records/csv.gz/locationid=7/year=2024/month=02/location-7-20240230.csv.gz") is None
    )


def test_listing_keeps_the_window_days_and_tolerates_missing_days_and_months(
    spark: SparkSession, tmp_path: Path
) -> None:
    content = archive_csv([ROW])
    for day in (date(2023, 1, 31), date(2023, 2, 1), date(2023, 2, 3), date(2023, 2, 28)):
        write_archive_file(tmp_path, 2178, day, content)
    write_archive_file(tmp_path, 9999, date(2023, 2, 1), content)
    (tmp_path / archive.KEY_ROOT / "locationid=2178/year=2023/month=02/notes.txt").write_text("not data")
    paths = archive.list_files(spark, str(tmp_path), [2178, 555], date(2023, 2, 1), date(2023, 3, 31))
    assert [archive.source_key(p) for p in paths] == [
        "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230201.csv.gz",
        "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230203.csv.gz",
        "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230228.csv.gz",
    ]


def test_bulk_read_returns_good_rows_and_one_error_row_per_damaged_file(
    spark: SparkSession, tmp_path: Path
) -> None:
    good = write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([ROW]))
    bad = write_archive_file(tmp_path, 2178, date(2023, 2, 23), archive_csv([ROW]), compress=False)
    # Spark's binaryFile source returns no row at all for a 0-byte file: it must still be rejected.
    empty = write_archive_file(tmp_path, 2178, date(2023, 2, 24), b"", compress=False)
    frame = archive.read_files(spark, [str(tmp_path / good), str(tmp_path / bad), str(tmp_path / empty)])
    assert_rows(
        frame,
        archive.DECODED_SCHEMA.fieldNames(),
        [
            (good, None, None, *TEXT_ROW),
            (
                bad,
                "not a valid gzip file (Error -3 while decompressing data: incorrect header check)",
                "0",
                *(None,) * 9,
            ),
            (empty, "empty file: 0 bytes, not even a gzip header", "0", *(None,) * 9),
        ],
    )


def test_bulk_read_takes_exactly_the_listed_files_and_names_one_gone_since_the_listing(
    spark: SparkSession, tmp_path: Path
) -> None:
    # Spark is handed the month directory and a glob of the listed days, so what else the directory
    # holds must stay out: another day, and a name of the right day whose location id is not the
    # directory's (list_files leaves that out, and so must the read).
    listed = write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([ROW]))
    write_archive_file(tmp_path, 2178, date(2023, 2, 25), archive_csv([ROW]))
    stray = (tmp_path / listed).parent / "location-9999-20230222.csv.gz"
    stray.write_bytes(gzip.compress(archive_csv([ROW])))
    gone = write_archive_file(tmp_path, 2178, date(2023, 2, 23), archive_csv([ROW]))
    paths = [str(tmp_path / listed), str(tmp_path / gone)]
    (tmp_path / gone).unlink()
    frame = archive.read_files(spark, paths)
    assert archive.VANISHED_FILE == (
        "not found when read: listed at the start of the run, then deleted or moved"
    )
    assert_rows(
        frame,
        archive.DECODED_SCHEMA.fieldNames(),
        [
            (listed, None, None, *TEXT_ROW),
            (gone, archive.VANISHED_FILE, "0", *(None,) * 9),
        ],
    )


def test_a_months_chunk_of_ten_locations_is_decoded_in_a_few_tasks_not_one_per_32_files(
    spark: SparkSession, tmp_path: Path
) -> None:
    # Each task is a Python worker's; at Spark's default open cost (4 MB) 300 files of a few KB would be
    # 10 tasks, which cost a cold step more than the files themselves (docs/BENCHMARKS.md, session 9).
    content = gzip.compress(archive_csv([ROW]), mtime=0)
    paths = []
    for location in range(1, 11):
        for day in range(1, 31):
            key = write_archive_file(tmp_path, location, date(2023, 4, day), content, compress=False)
            paths.append(str(tmp_path / key))
    frame = archive.read_files(spark, paths)
    assert frame.rdd.getNumPartitions() <= 3
    decoded = frame.select("source_key", "error", "value").collect()
    assert sorted((r.source_key, r.error, r.value) for r in decoded) == sorted(
        (archive.source_key(path), None, "6.2") for path in paths
    )


def test_a_path_outside_the_archive_layout_is_refused_naming_it(spark: SparkSession, tmp_path: Path) -> None:
    stray = tmp_path / "notes.csv.gz"
    stray.write_bytes(gzip.compress(archive_csv([ROW])))
    with pytest.raises(archive.ArchiveNotFoundError) as raised:
        archive.read_files(spark, [str(stray)])
    assert str(raised.value) == (
        f"{stray} is not an archive file: expected .../records/csv.gz/locationid=<id>/year=<YYYY>/"
        "month=<MM>/location-<id>-<YYYYMMDD>.csv.gz"
    )


def test_a_root_without_the_archive_layout_is_refused_naming_the_uri(
    spark: SparkSession, tmp_path: Path
) -> None:
    with pytest.raises(archive.ArchiveNotFoundError) as raised:
        archive.list_files(spark, str(tmp_path / "typo"), [2178], date(2023, 2, 1), date(2023, 2, 1))
    assert str(raised.value) == (
        f"--archive-uri {tmp_path / 'typo'}: no records/csv.gz/ under it; expected the OpenAQ archive layout "
        "records/csv.gz/locationid=<id>/year=<YYYY>/month=<MM>/ (s3://openaq-data-archive on EMR)"
    )
