"""A few rows from the driver as a DataFrame, without starting a Python worker.

``spark.createDataFrame(list_of_rows)`` in PySpark 3.5 parallelizes the pickled rows and re-serializes
them through an identity ``map`` (``RDD._pickled``), so the first job that reads the frame forks the
``pyspark.daemon`` and its workers. For the one-row watermark a stage writes at its end, and the few rows
of a dimension, that is the only Python work of the whole Silver or Gold step. An inline ``VALUES``
table is a ``LocalRelation`` instead: the JVM holds the rows, the optimizer knows their size (a
broadcast when joined), and no worker starts.

Every value travels as a string literal and is cast to its column's type, so the SQL text carries no
number or timestamp formatting of its own: decimals keep their digits, aware datetimes their offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType, _parse_datatype_string


def _text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"inline rows need aware datetimes; got naive {value.isoformat()}")
        text = value.isoformat()
    elif isinstance(value, (int, Decimal, date, str)):
        text = str(value)  # a date's str() is its ISO form
    else:
        raise TypeError(
            f"inline rows take str, int, bool, Decimal, date or datetime; got {type(value).__name__}"
        )
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def inline_frame(spark: SparkSession, rows: Sequence[tuple], schema: str) -> DataFrame:
    """``rows`` (tuples in ``schema``'s column order) as a DataFrame of ``schema`` (a DDL string)."""
    struct = _parse_datatype_string(schema)
    if not isinstance(struct, StructType):  # pragma: no cover - a DDL column list always parses to a struct
        raise ValueError(f"not a column list: {schema!r}")
    width = len(struct.fields)
    for row in rows:
        if len(row) != width:
            raise ValueError(f"inline row {row!r} has {len(row)} values; the schema has {width} columns")
    values = ", ".join("(" + ", ".join(_text(v) for v in row) + ")" for row in rows)
    placeholders = ", ".join(f"c{i}" for i in range(width))
    columns = ", ".join(
        f"CAST(c{i} AS {field.dataType.simpleString()}) AS `{field.name}`"
        for i, field in enumerate(struct.fields)
    )
    empty = "(" + ", ".join("NULL" for _ in range(width)) + ")"
    frame = spark.sql(f"SELECT {columns} FROM VALUES {values or empty} AS t({placeholders})")
    return frame if rows else frame.where("false")
