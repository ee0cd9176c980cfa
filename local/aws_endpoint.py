"""The local AWS endpoint of ``npm run local -- --aws-fidelity``: a moto server on loopback, seeded from the
workspace, and written back to it when the command ends.

moto keeps its state in memory, while a local workspace outlives a command (``backfill``, then ``hourly``,
then ``query``). So the workspace directories stay the store of record and moto serves them during one
command: at start the stacks' buckets are uploaded from ``<workspace>/s3/<bucket>/``, the OpenAQ archive
stand-in from the archive directory, the Glue databases are created as the template declares them and the
Glue tables recorded by the previous command are re-registered; at the end the mirrored buckets and the
Glue tables are written back.

One behaviour is added to moto, and only one: Glue ``UpdateTable`` honours ``VersionId``. moto 5.1.22
accepts any ``VersionId`` (``GlueResponse.update_table`` never reads it), while Glue rejects a stale one
with ``ConcurrentModificationException`` — the optimistic lock Iceberg's Glue catalog relies on when two
backfill chunks commit to Bronze at once (docs/LOCAL.md, "What moto lacks").

Protocol: prints ``READY <endpoint URL>`` on stdout once serving; at the end of its stdin (the parent
closing it, or exiting, even killed) writes the state back, prints ``SYNCED`` and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import boto3
from moto.core.exceptions import JsonRESTError
from moto.glue.responses import GlueResponse
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

# The TableInput fields a GetTable answer carries back; the rest (VersionId, CreateTime, ...) are Glue's.
TABLE_INPUT_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
)

_glue_table_writes = threading.Lock()


def enforce_glue_version_id() -> None:
    """Make moto's ``UpdateTable`` fail on a stale ``VersionId`` as Glue does (see the module docstring)."""
    update_table = GlueResponse.update_table
    create_table = GlueResponse.create_table

    def checked_update_table(self: GlueResponse) -> Any:
        version_id = self.parameters.get("VersionId")
        with _glue_table_writes:
            if version_id is not None:
                database = self.parameters.get("DatabaseName")
                name = (self.parameters.get("TableInput") or {}).get("Name")
                current = self.glue_backend.get_table(database, name).as_dict()["VersionId"]
                if str(version_id) != str(current):
                    raise JsonRESTError(
                        "ConcurrentModificationException",
                        f"Table {database}.{name} is at version {current}, not {version_id}: "
                        "it was updated concurrently",
                    )
            return update_table(self)

    def serialized_create_table(self: GlueResponse) -> Any:
        with _glue_table_writes:
            return create_table(self)

    GlueResponse.update_table = checked_update_table  # type: ignore[method-assign]
    GlueResponse.create_table = serialized_create_table  # type: ignore[method-assign]


def clients(endpoint: str, region: str) -> dict[str, Any]:
    session = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name=region
    )
    return {name: session.client(name, endpoint_url=endpoint) for name in ("s3", "glue", "secretsmanager")}


def upload_tree(s3: Any, bucket: str, root: Path) -> set[str]:
    """Uploads every file under ``root`` as ``bucket``'s objects; returns their keys."""
    keys: set[str] = set()
    if not root.is_dir():
        return keys
    for path in sorted(root.rglob("*")):
        if path.is_file():
            key = path.relative_to(root).as_posix()
            s3.upload_file(str(path), bucket, key)
            keys.add(key)
    return keys


def write_back_bucket(s3: Any, bucket: str, root: Path, seeded: set[str]) -> None:
    """Writes every object of ``bucket`` under ``root`` and removes the seeded files whose object is gone
    (an Iceberg cleanup deleted it). Files written locally meanwhile (EMR step logs) are left alone."""
    present: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            present.add(key)
            target = root / key
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.download")
            s3.download_file(bucket, key, str(tmp))
            os.replace(tmp, target)
    for key in seeded - present:
        (root / key).unlink(missing_ok=True)


def seed(aws: dict[str, Any], spec: dict[str, Any]) -> dict[str, set[str]]:
    """Creates what the stacks deploy and loads the workspace into it; returns each bucket's seeded keys."""
    s3, glue = aws["s3"], aws["glue"]
    seeded: dict[str, set[str]] = {}
    for bucket in spec["buckets"]:
        s3.create_bucket(Bucket=bucket["name"])
        seeded[bucket["name"]] = upload_tree(s3, bucket["name"], Path(bucket["dir"]))
    archive = spec.get("archive")
    if archive is not None:
        s3.create_bucket(Bucket=archive["bucket"])
        upload_tree(s3, archive["bucket"], Path(archive["dir"]))
    for database in spec["glueDatabases"]:
        glue.create_database(DatabaseInput=database)
    catalog_file = Path(spec["glueCatalogFile"])
    if catalog_file.exists():
        for entry in json.loads(catalog_file.read_text(encoding="utf-8")):
            glue.create_table(DatabaseName=entry["database"], TableInput=entry["table"])
    for secret in spec["secrets"]:
        aws["secretsmanager"].create_secret(Name=secret["name"], SecretString=secret["value"])
    return seeded


def write_back(aws: dict[str, Any], spec: dict[str, Any], seeded: dict[str, set[str]]) -> None:
    s3, glue = aws["s3"], aws["glue"]
    for bucket in spec["buckets"]:
        write_back_bucket(s3, bucket["name"], Path(bucket["dir"]), seeded[bucket["name"]])
    tables = []
    for database in spec["glueDatabases"]:
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database["Name"]):
            for table in page["TableList"]:
                table_input = {key: table[key] for key in TABLE_INPUT_FIELDS if key in table}
                tables.append({"database": database["Name"], "table": table_input})
    catalog_file = Path(spec["glueCatalogFile"])
    catalog_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = catalog_file.with_name(f".{catalog_file.name}.tmp")
    tmp.write_text(json.dumps(tables, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, catalog_file)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True, help="JSON: buckets, archive, glueDatabases, secrets, ...")
    args = parser.parse_args(argv)
    spec = json.loads(Path(args.spec).read_text(encoding="utf-8"))
    enforce_glue_version_id()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    aws = clients(endpoint, spec["region"])
    try:
        seeded = seed(aws, spec)
        print(f"READY {endpoint}", flush=True)
        sys.stdin.read()
        write_back(aws, spec, seeded)
        print("SYNCED", flush=True)
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
