"""The OpenAQ S3 archive: one csv.gz per location and local day, read in bulk by Spark.

Files are listed per location-month (one LIST per prefix, never per day: missing days are normal) and
loaded with Spark's ``binaryFile`` source, then decoded on the executors. Why not Spark's CSV reader: gzip
is not splittable and the files are ~4 KB, so nothing is lost, while decoding each file whole lets one
truncated or mis-headed file be reported and skipped instead of failing the read (the CSV reader either
aborts the job or, with ``ignoreCorruptFiles``, silently keeps the part before the damage). Every column
stays text: recent files quote numbers, and Silver does the casting.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StringType, StructField, StructType

from aqi_jobs.tables import RAW_COLUMNS

KEY_ROOT = "records/csv.gz"
# The reason a 0-byte file is rejected: not a day without data (even those files hold the header).
EMPTY_FILE = "empty file: 0 bytes, not even a gzip header"
FILE_OPEN_COST_BYTES = 1 << 20
VANISHED_FILE = "not found when read: listed at the start of the run, then deleted or moved"
_KEY = re.compile(
    r"(records/csv\.gz/locationid=(\d+)/year=\d{4}/month=\d{2}/location-(\d+)-(\d{8})\.csv\.gz)$"
)

# One row per data line of a good file, or one row per rejected file (``error`` set, raw columns NULL).
DECODED_SCHEMA = StructType(
    [
        StructField("source_key", StringType(), False),
        StructField("error", StringType(), True),
        StructField("rejected_lines", StringType(), True),
        *(StructField(name, StringType(), True) for name in RAW_COLUMNS),
    ]
)


class ArchiveNotFoundError(ValueError):
    """The archive URI does not hold the OpenAQ archive layout."""


@dataclass(frozen=True)
class DecodedFile:
    rows: list[tuple[str | None, ...]]
    error: str | None = None


def month_prefixes(root: str, location_id: int, start: date, end: date) -> list[str]:
    """``records/csv.gz/locationid={id}/year={YYYY}/month={MM}/`` under ``root`` for each month touched."""
    prefixes = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        prefixes.append(
            f"{root.rstrip('/')}/{KEY_ROOT}/locationid={location_id}/year={year:04d}/month={month:02d}/"
        )
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return prefixes


def file_day(key: str) -> date | None:
    """The local day a key holds, None for a name that is not an archive file."""
    match = _KEY.search(key)
    if match is None or match.group(2) != match.group(3):
        return None
    text = match.group(4)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def source_key(path: str) -> str:
    """The S3 key of a file (``records/csv.gz/...``), whatever scheme or local root it was read from."""
    match = _KEY.search(path)
    return match.group(1) if match else path


def list_files(spark: SparkSession, root: str, location_ids: list[int], start: date, end: date) -> list[str]:
    """Full paths of the archive files of these locations whose local day is in [start, end]."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    records = jvm.org.apache.hadoop.fs.Path(f"{root.rstrip('/')}/{KEY_ROOT}")
    if not records.getFileSystem(conf).exists(records):
        # A wrong root would otherwise look like an archive with every day missing.
        raise ArchiveNotFoundError(
            f"--archive-uri {root}: no {KEY_ROOT}/ under it; expected the OpenAQ archive layout "
            f"{KEY_ROOT}/locationid=<id>/year=<YYYY>/month=<MM>/ (s3://openaq-data-archive on EMR)"
        )
    paths: list[str] = []
    for location_id in location_ids:
        for prefix in month_prefixes(root, location_id, start, end):
            directory = jvm.org.apache.hadoop.fs.Path(prefix)
            fs = directory.getFileSystem(conf)
            if not fs.exists(directory):
                continue
            for status in fs.listStatus(directory):
                path = status.getPath().toString()
                day = file_day(path)
                if day is not None and start <= day <= end:
                    paths.append(path)
    return sorted(paths)


def decode_file(content: bytes) -> DecodedFile:
    """The data lines of one csv.gz file as raw text fields, or the reason the whole file is rejected.

    A rejected file's decodable data lines are still counted (``rows`` keeps them) so the stage can
    report how many lines it did not ingest.
    """
    if not content:
        return DecodedFile([], EMPTY_FILE)
    text, damage = _gunzip(content)
    lines = [fields for fields in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if fields]
    if damage is None and not lines:
        # Every archive file starts with the header, even a day without data: no line is a broken export.
        damage = "no header line: the gzip stream holds no CSV text"
    if damage is None and lines and tuple(field.strip() for field in lines[0]) != RAW_COLUMNS:
        damage = f"unexpected header {lines[0]!r}; expected {list(RAW_COLUMNS)!r}"
    data = lines[1:]
    if damage is not None and data and not text.endswith(("\n", "\r")):
        data = data[:-1]  # the last line of a truncated file is cut short: not a line the file holds
    return DecodedFile([_raw_fields(fields) for fields in data], damage)


def _gunzip(content: bytes) -> tuple[str, str | None]:
    decompressor = zlib.decompressobj(wbits=31)
    try:
        data = decompressor.decompress(content) + decompressor.flush()
    except zlib.error as error:
        return "", f"not a valid gzip file ({error})"
    damage = None if decompressor.eof else "truncated gzip: the compressed stream ends early"
    try:
        return data.decode("utf-8"), damage
    except UnicodeDecodeError as error:
        return data.decode(
            "utf-8", errors="replace"
        ), damage or f"not UTF-8 text ({error.reason} at byte {error.start})"


def _raw_fields(fields: list[str]) -> tuple[str | None, ...]:
    """Exactly the archive's columns: a short line is padded with NULLs, a long one keeps its surplus in
    ``value`` (so it can never pass as a number and Silver quarantines it)."""
    width = len(RAW_COLUMNS)
    if len(fields) > width:
        fields = [*fields[: width - 1], ",".join(fields[width - 1 :])]
    return tuple(fields) + (None,) * (width - len(fields))


def _decoded_rows(path: str, content: bytes) -> Iterator[tuple[str | None, ...]]:
    key = source_key(path)
    decoded = decode_file(bytes(content))
    if decoded.error is not None:
        yield (key, decoded.error, str(len(decoded.rows)), *(None,) * len(RAW_COLUMNS))
        return
    for fields in decoded.rows:
        yield (key, None, None, *fields)


def read_files(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Decode the files in bulk; see ``DECODED_SCHEMA`` for the shape. A file that cannot be read gets
    one error row, whether Spark returned it or not.

    Spark is given the files' month directories and a name glob of the window's days, not the file paths:
    handed more than ``spark.sql.sources.parallelPartitionDiscovery.threshold`` (32) paths, Spark runs a
    Spark job to list them, one task per path, which cost a month's chunk of 300 files about 1.9 s of its
    2.3 s of file listing (docs/BENCHMARKS.md, session 9). A directory is one listing. The glob keeps
    other days out; a file it lets through that ``list_files`` did not choose (a name whose location id
    is not its directory's) is dropped before decoding.
    """
    if not paths:
        return spark.createDataFrame([], DECODED_SCHEMA)
    # Files per Spark task, through what Spark takes a file's opening to cost (default 4 MB, which packs
    # 32 files a task): each task is a Python task, and at 4 KB a file its fixed cost outweighs its
    # reading. At 1 MB a task holds up to 128 files: a month's chunk of 10 locations is 3 tasks, not 10.
    # Only file sources read it, and Bronze's only file source is this one (Iceberg plans its own splits).
    spark.conf.set("spark.sql.files.openCostInBytes", str(FILE_OPEN_COST_BYTES))
    wanted = {source_key(path) for path in paths}
    files = (
        spark.read.format("binaryFile")
        # No partition inference from what lies under a directory, whatever it holds.
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", _day_glob(paths))
        .load(sorted({path.rsplit("/", 1)[0] for path in paths}))
        .select("path", "content")
    )
    decoded = spark.createDataFrame(
        files.rdd.flatMap(
            lambda row: _decoded_rows(row.path, row.content) if source_key(row.path) in wanted else ()
        ),
        DECODED_SCHEMA,
    )
    # Spark's file index leaves 0-byte files out of a scan (seen with binaryFile on Spark 3.5), so an empty
    # export would pass as a day without data: each asked-for file Spark did not return is rejected instead.
    returned = {source_key(row.path) for row in files.select("path").collect()}
    unreturned = [path for path in paths if source_key(path) not in returned]
    if not unreturned:
        return decoded
    missing = [
        (source_key(path), _why_unreturned(spark, path), "0", *(None,) * len(RAW_COLUMNS))
        for path in unreturned
    ]
    return decoded.unionByName(spark.createDataFrame(missing, DECODED_SCHEMA))


def _day_glob(paths: list[str]) -> str:
    """A file-name glob (Hadoop ``GlobFilter``) matching archive files of the days ``paths`` hold."""
    found: set[date] = set()
    for path in paths:
        day = file_day(path)
        if day is None:
            # list_files returns archive keys only; anything else is a caller's mistake, not data.
            raise ArchiveNotFoundError(
                f"{path} is not an archive file: expected .../{KEY_ROOT}/locationid=<id>/year=<YYYY>/"
                "month=<MM>/location-<id>-<YYYYMMDD>.csv.gz"
            )
        found.add(day)
    days = [day.strftime("%Y%m%d") for day in sorted(found)]
    alternatives = days[0] if len(days) == 1 else "{" + ",".join(days) + "}"
    return f"location-*-{alternatives}.csv.gz"


def _why_unreturned(spark: SparkSession, path: str) -> str:
    """Why Spark returned no row for a listed file: it is empty, or it went away after the listing."""
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    if not fs.exists(target):
        return VANISHED_FILE
    length = fs.getFileStatus(target).getLen()
    return EMPTY_FILE if length == 0 else f"not returned by Spark's binaryFile scan ({length} bytes)"
