"""``python -m bench.maps [--loads N]``: what a source map's embedded sources cost a cold module load.

The functions run with ``NODE_OPTIONS=--enable-source-maps`` so a stack trace names the TypeScript line;
Node then reads and parses each bundle's ``index.js.map`` when the bundle loads. A map either embeds a
copy of every source file (``sourcesContent``, esbuild's default) or holds only the mappings, which is
all a stack trace needs. This synthesizes the stacks (``cdk synth``), makes both maps of each function's
bundle — A with the sources embedded (read from the files the map names, as esbuild would embed them),
B without — and loads the same ``index.js`` with A and with B alternately, ``--loads`` times each, in
fresh ``node`` processes with the function's environment. Prints each function's median load time and
B ÷ A, and writes ``<scratch>/maps.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.lab import REPO, BenchError, log
from bench.record import commit
from bench.series import function_bundles, load_ms, median, ratio, synth

SCRATCH = REPO / ".local" / "bench-maps"


def _variants(bundle: Path, into: Path) -> dict[str, Path]:
    """``{"A": dir with the sources embedded, "B": dir without}``, each holding the same ``index.js``."""
    source_map = json.loads(bundle.with_name("index.js.map").read_text())
    if "sourcesContent" not in source_map:
        try:
            source_map["sourcesContent"] = [
                (bundle.parent / source).resolve().read_text() for source in source_map["sources"]
            ]
        except OSError as error:
            raise BenchError(
                f"{bundle}'s map names a source that cannot be read ({error}); run from the checkout "
                "that synthesized it"
            ) from None
    mappings_only = {k: v for k, v in source_map.items() if k != "sourcesContent"}
    dirs = {}
    for name, content in (("A", source_map), ("B", mappings_only)):
        target = into / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copy(bundle, target / "index.js")
        (target / "index.js.map").write_text(json.dumps(content))
        dirs[name] = target
    return dirs


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.maps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=9, help="loads of each variant per function")
    args = parser.parse_args()
    if args.loads < 1:
        parser.error("--loads must be at least 1")
    SCRATCH.mkdir(parents=True, exist_ok=True)
    samples = []
    for function, bundle, env in function_bundles(synth(SCRATCH)):
        if not bundle.with_name("index.js.map").exists():
            raise BenchError(f"{function}: no index.js.map beside {bundle}; the functions ship source maps")
        dirs = _variants(bundle, SCRATCH / "variants" / function.replace("/", "-"))
        times: dict[str, list[float]] = {"A": [], "B": []}
        for i in range(args.loads):
            for name in ("A", "B") if i % 2 == 0 else ("B", "A"):
                times[name].append(load_ms(dirs[name] / "index.js", env))
        a, b = median(times["A"]), median(times["B"])
        log(f"{function}: A {a} ms  B {b} ms  B/A {ratio(b, a)}")
        samples.append(
            {
                "function": function,
                "mapBytes": {n: (dirs[n] / "index.js.map").stat().st_size for n in dirs},
                "loadMs": {n: [round(t, 1) for t in ts] for n, ts in times.items()},
                "medianMs": {"A": a, "B": b},
                "bOverA": ratio(b, a),
            }
        )
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "variants": {"A": "map with sourcesContent", "B": "map without sourcesContent"},
        "loads": args.loads,
        "samples": samples,
    }
    (SCRATCH / "maps.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"record: {SCRATCH / 'maps.json'}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        print(f"bench.maps: {error}", file=sys.stderr)
        sys.exit(1)
