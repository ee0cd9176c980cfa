"""The benchmark's memory sampler counts a process tree's memory once (bench/processes.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.processes import Sample, _subtree, counted  # noqa: E402 - the harness lives at the repository root

JAVA = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
PYTHON = "/repo/.venv/bin/python3.11"
MIB = 1024 * 1024


def test_a_jvms_child_that_has_not_exec_d_is_not_counted_again() -> None:
    # The Bronze step's end as sampled: its shutdown hook had just started a process.
    driver = Sample(pid=100, ppid=99, exe=JAVA, rss=529 * MIB)
    spawned = Sample(pid=130, ppid=100, exe=JAVA, rss=529 * MIB)
    stage = Sample(pid=101, ppid=100, exe=PYTHON, rss=55 * MIB)

    assert counted([driver, spawned, stage]) == [driver, stage]


def test_exec_d_children_forked_python_workers_and_separate_jvms_are_all_counted() -> None:
    launcher = Sample(pid=99, ppid=1, exe="/usr/bin/bash", rss=4 * MIB)
    driver = Sample(pid=100, ppid=99, exe=JAVA, rss=529 * MIB)
    shell = Sample(pid=130, ppid=100, exe="/usr/bin/chmod", rss=1 * MIB)
    daemon = Sample(pid=140, ppid=100, exe=PYTHON, rss=50 * MIB)
    worker = Sample(pid=141, ppid=140, exe=PYTHON, rss=50 * MIB)
    other_step = Sample(pid=200, ppid=1, exe=JAVA, rss=600 * MIB)
    everything = [launcher, driver, shell, daemon, worker, other_step]

    assert counted(everything) == everything


def test_a_steps_part_of_one_sample_is_its_process_and_descendants() -> None:
    harness = Sample(pid=10, ppid=1, exe=PYTHON, rss=70 * MIB)
    step = Sample(pid=100, ppid=10, exe=JAVA, rss=529 * MIB)
    stage = Sample(pid=101, ppid=100, exe=PYTHON, rss=55 * MIB)
    worker = Sample(pid=102, ppid=101, exe=PYTHON, rss=50 * MIB)
    other = Sample(pid=200, ppid=10, exe=JAVA, rss=600 * MIB)

    assert _subtree([harness, step, stage, worker, other], 100) == [step, stage, worker]
