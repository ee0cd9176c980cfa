"""Build ``aqi_jobs.zip``, the package spark-submit ships with ``--py-files`` (EMR steps and local runs).

Usage: ``python spark-jobs/build_zip.py OUTPUT.zip``. The archive is reproducible (sorted entries, fixed
timestamps), so the CDK asset hash changes only when the code does.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "aqi_jobs"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def package_files(package: Path = PACKAGE) -> list[Path]:
    """Every module and data file of the package, without caches."""
    return sorted(
        p
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".csv", ".json")
    )


def build_zip(output: Path, package: Path = PACKAGE) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in package_files(package):
            info = zipfile.ZipInfo(str(path.relative_to(package.parent)), date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return output


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: build_zip.py OUTPUT.zip", file=sys.stderr)
        return 2
    print(build_zip(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
