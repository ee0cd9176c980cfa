"""Small text objects (the locations config, stage results) at a URI: s3:// on EMR, a path locally.

Remote URIs go through the Hadoop FileSystem of the running SparkSession, so EMRFS credentials, retries
and encryption settings apply and the job needs no boto3. Local paths (and ``file://``) are written with
plain Python, atomically (temp file + rename), so no Hadoop ``.crc`` side files appear next to them and a
reader never sees half a result.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession


def local_path(uri: str) -> Path | None:
    """The filesystem path of a local URI (plain path or ``file://``), None for a remote one."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return Path(parsed.path if parsed.scheme else uri)
    return None


def read_text(spark: SparkSession | None, uri: str) -> str:
    path = local_path(uri)
    if path is not None:
        return path.read_text(encoding="utf-8")
    if spark is None:
        raise RuntimeError(f"cannot read {uri}: remote URIs need a SparkSession")
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(uri)
    try:
        fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        stream = fs.open(hadoop_path)
    except Py4JJavaError as error:
        raise _java_error(error) from None
    try:
        return bytes(jvm.org.apache.commons.io.IOUtils.toByteArray(stream)).decode("utf-8")
    finally:
        stream.close()


def _java_error(error: Py4JJavaError) -> OSError:
    """The Java exception itself (``java.io.FileNotFoundException: No such file ...: s3://...``): Py4J's own
    first line, ``An error occurred while calling o76.open.``, says nothing about what went wrong."""
    return OSError(str(error.java_exception.toString()))


def write_text(spark: SparkSession | None, uri: str, text: str) -> None:
    path = local_path(uri)
    data = text.encode("utf-8")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return
    if spark is None:
        raise RuntimeError(f"cannot write {uri}: remote URIs need a SparkSession")
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    # S3 objects appear whole on close, so a direct overwrite is already atomic for readers.
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()
