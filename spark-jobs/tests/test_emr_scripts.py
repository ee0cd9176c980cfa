"""The scripts EMR nodes run (spark-jobs/emr): shellcheck-clean, and exercised with stand-in commands
(``spark-submit``, ``yarn``, ``aws``, ``sudo``, a Python) on PATH, since no EMR node is reachable here."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EMR_DIR = Path(__file__).resolve().parents[1] / "emr"
WRAPPER = EMR_DIR / "aqi-spark-submit"
BOOTSTRAP = EMR_DIR / "bootstrap.sh"
LOCK = Path(__file__).resolve().parents[1] / "requirements-dev.lock"
SHELLCHECK = Path(sys.executable).with_name("shellcheck")


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


def _env(bin_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **extra}


def _wait_for(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


@pytest.mark.parametrize("script", [WRAPPER, BOOTSTRAP], ids=lambda p: p.name)
def test_the_script_passes_shellcheck(script: Path) -> None:
    result = subprocess.run([str(SHELLCHECK), str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def stand_ins(tmp_path: Path) -> Path:
    """A spark-submit that records its arguments and runs until signalled (or exits with
    $FAKE_EXIT at once), and a yarn that records each call and lists one live application for the
    tag it is asked about."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(
        bin_dir / "spark-submit",
        f"""printf '%s\\n' "$@" > {tmp_path}/submit-args
if [[ -n "${{FAKE_EXIT:-}}" ]]; then exit "$FAKE_EXIT"; fi
trap 'echo client-got-TERM >> {tmp_path}/events; exit 143' TERM
while true; do sleep 0.1; done
""",
    )
    _script(
        bin_dir / "yarn",
        f"""echo "yarn $*" >> {tmp_path}/yarn-calls
if [[ "$2" == "-list" ]]; then
  tag="${{@: -1}}"
  echo "Total number of applications (application-types: [], states: [RUNNING] and tags: [$tag]):1"
  printf '%s\\t%s\\t%s\\n' Application-Id Application-Name Application-Type
  if [[ -z "${{NO_APPS:-}}" ]]; then
    printf '%s\\t%s\\t%s\\n' application_1700000000000_0007 entry.py SPARK
  fi
fi
""",
    )
    return bin_dir


def _yarn_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "yarn-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_wrapper_passes_arguments_through_with_a_per_step_yarn_tag_and_keeps_the_exit_status(
    stand_ins: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(WRAPPER), "--deploy-mode", "cluster", "s3://a/entry.py", "bronze"],
        env=_env(stand_ins, FAKE_EXIT="3"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 3
    args = (tmp_path / "submit-args").read_text().splitlines()
    assert args[0] == "--conf"
    assert re.fullmatch(r"spark\.yarn\.tags=aqi-step-[0-9a-f-]{36}", args[1])
    assert args[2:] == ["--deploy-mode", "cluster", "s3://a/entry.py", "bronze"]
    assert _yarn_calls(tmp_path) == []


def test_sigterm_stops_the_client_then_kills_the_yarn_application_carrying_the_step_tag(
    stand_ins: Path, tmp_path: Path
) -> None:
    wrapper = subprocess.Popen(
        [str(WRAPPER), "--deploy-mode", "cluster", "s3://a/entry.py", "gold"],
        env=_env(stand_ins),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait_for(tmp_path / "submit-args")

    wrapper.send_signal(signal.SIGTERM)
    output, _ = wrapper.communicate(timeout=30)

    assert wrapper.returncode == 143
    tag = (tmp_path / "submit-args").read_text().splitlines()[1].removeprefix("spark.yarn.tags=")
    assert (tmp_path / "events").read_text().splitlines() == ["client-got-TERM"]
    assert _yarn_calls(tmp_path) == [
        f"yarn application -list -appStates NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING -appTags {tag}",
        "yarn application -kill application_1700000000000_0007",
    ]
    assert f"killing YARN application application_1700000000000_0007 (tag {tag})" in output


def test_sigterm_before_the_application_reached_yarn_kills_nothing_and_says_so(
    stand_ins: Path, tmp_path: Path
) -> None:
    wrapper = subprocess.Popen(
        [str(WRAPPER), "s3://a/entry.py", "silver"],
        env=_env(stand_ins, NO_APPS="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait_for(tmp_path / "submit-args")

    wrapper.send_signal(signal.SIGTERM)
    output, _ = wrapper.communicate(timeout=30)

    assert wrapper.returncode == 143
    assert [c.split()[2] for c in _yarn_calls(tmp_path)] == ["-list"]
    assert "no live YARN application tagged aqi-step-" in output


@pytest.fixture
def bootstrap_world(tmp_path: Path) -> dict[str, Path]:
    """A bucket directory standing in for s3://artifacts/, an `aws s3 cp` that copies from it, a `sudo`
    that runs its command, and a Python 3.11 whose `-m pip` only records what it was asked to do."""
    bucket = tmp_path / "bucket" / "spark-jobs" / "emr"
    bucket.mkdir(parents=True)
    for name in ("requirements-emr.txt", "aqi-spark-submit"):
        shutil.copy(EMR_DIR / name, bucket / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(
        bin_dir / "aws",
        f"""[[ "$1 $2" == "s3 cp" ]] || {{ echo "unexpected aws $*" >&2; exit 9; }}
src="${{@: -2:1}}"; dst="${{@: -1}}"
cp "{tmp_path}/bucket/${{src#s3://artifacts/}}" "$dst"
""",
    )
    _script(bin_dir / "sudo", 'echo "sudo $*" >> ' + str(tmp_path / "sudo-calls") + '\nexec "$@"\n')
    python = _script(
        tmp_path / "python3.11",
        f"""if [[ "$1" == "-m" && "$2" == "pip" && "$3" == "install" ]]; then
  printf '%s\\n' "$@" > {tmp_path}/pip-args
  req="${{@: -1}}"; cp "$req" {tmp_path}/pip-requirements
  exit 0
fi
if [[ "$1" == "-m" && "$2" == "pip" ]]; then exit 0; fi
exec {sys.executable} "$@"
""",
    )
    return {"root": tmp_path, "bin": bin_dir, "python": python}


def test_bootstrap_installs_the_pinned_requirements_and_the_wrapper(bootstrap_world: dict[str, Path]) -> None:
    root = bootstrap_world["root"]
    target = root / "installed" / "aqi-spark-submit"
    target.parent.mkdir()

    result = subprocess.run(
        [str(BOOTSTRAP), "s3://artifacts/spark-jobs/emr/", str(bootstrap_world["python"]), str(target)],
        env=_env(bootstrap_world["bin"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    pip_args = (root / "pip-args").read_text().splitlines()
    assert pip_args[:3] == ["-m", "pip", "install"]
    assert "--no-deps" in pip_args and pip_args[-2] == "-r"
    assert (root / "pip-requirements").read_text() == (EMR_DIR / "requirements-emr.txt").read_text()
    assert target.read_bytes() == WRAPPER.read_bytes()
    assert os.access(target, os.X_OK)
    first_sudo = (root / "sudo-calls").read_text().splitlines()[0]
    assert first_sudo.startswith(f"sudo {bootstrap_world['python']} -m pip install")


def test_bootstrap_dry_run_prints_the_commands_and_changes_nothing(bootstrap_world: dict[str, Path]) -> None:
    root = bootstrap_world["root"]
    target = root / "aqi-spark-submit"

    prefix = "s3://artifacts/spark-jobs/emr/"
    result = subprocess.run(
        [str(BOOTSTRAP), "--dry-run", prefix, str(bootstrap_world["python"]), str(target)],
        env=_env(bootstrap_world["bin"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.startswith("+ ")]
    assert [c.split()[1:4] for c in commands] == [
        ["aws", "s3", "cp"],
        ["aws", "s3", "cp"],
        ["sudo", str(bootstrap_world["python"]), "-m"],
        ["sudo", "install", "-m"],
    ]
    assert not target.exists() and not (root / "pip-args").exists()


def test_bootstrap_fails_the_cluster_when_the_interpreter_is_older_than_3_11(tmp_path: Path) -> None:
    old_python = _script(tmp_path / "python3.9", "exit 1\n")

    result = subprocess.run(
        [str(BOOTSTRAP), "s3://artifacts/spark-jobs/emr/", str(old_python), str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 1
    assert f"{old_python} is missing or older than Python 3.11" in result.stderr


def test_bootstrap_refuses_a_prefix_that_is_not_an_s3_folder(tmp_path: Path) -> None:
    args = [str(BOOTSTRAP), "/tmp/emr", sys.executable, str(tmp_path / "w")]
    result = subprocess.run(args, capture_output=True, text=True, check=False)

    assert result.returncode == 2
    assert "expected <s3:// files prefix ending in '/'>" in result.stderr


def test_the_cluster_requirements_pin_the_same_versions_as_the_lock() -> None:
    def pins(path: Path) -> dict[str, str]:
        found = re.finditer(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", path.read_text(), re.MULTILINE)
        return {m.group(1).lower(): m.group(2) for m in found}

    cluster, lock = pins(EMR_DIR / "requirements-emr.txt"), pins(LOCK)
    assert "boto3" in cluster
    assert {name: lock.get(name) for name in cluster} == cluster
