"""Run a command and watch its process tree: wall time, peak RSS of the whole tree, and of each step in it.

RSS is sampled (psutil) every ``SAMPLE_SECONDS`` as the sum over the process and all its descendants, so
a peak shorter than the interval can be missed; a JVM's heap does not shrink between samples, so the
peak it settles on is what is seen. A JVM's child that has not exec'd yet is left out (``counted``).
A *step* is a ``spark-submit`` process found in the tree (the local EMR starts one per EMR step); its
tree's peak is kept under the ``--result-uri`` it was given, which is how the harness joins it to the
step's result.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.2
MIB = 1024 * 1024


@dataclass
class Watched:
    """What one command did: its exit code, output, wall and memory."""

    returncode: int
    stdout: str
    stderr: str
    wall_seconds: float
    peak_rss_mib: float
    # (seconds since start, MiB of the whole tree), one per sample
    timeline: list[tuple[float, float]] = field(default_factory=list)
    # peak MiB of each spark-submit subtree, keyed by its --result-uri (or its pid when it has none)
    step_peaks_mib: dict[str, float] = field(default_factory=dict)


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


@dataclass(frozen=True)
class Sample:
    """One process as sampled: who its parent is, what it runs, how much is resident."""

    pid: int
    ppid: int
    exe: str
    rss: int


def counted(samples: list[Sample]) -> list[Sample]:
    """The processes whose RSS is the tree's memory: all but a JVM's children still running ``java``.

    A JVM never forks to run Java. When it starts a process (Hadoop's shell commands, a shutdown hook's),
    the child holds the JVM's pages (shared or copy-on-write) until it execs, and reports the JVM's whole
    RSS as its own: seen as a ``shutdown-hook-0`` child holding the JVM's 529 MiB at the end of a Bronze
    step, which doubled the step's sampled peak. Forked Python workers (``pyspark.daemon``) stay counted,
    as before.
    """
    exe_of = {s.pid: s.exe for s in samples}
    return [s for s in samples if not (Path(s.exe).name == "java" and exe_of.get(s.ppid) == s.exe)]


def _samples(processes: list[psutil.Process]) -> list[Sample]:
    samples = []
    for process in processes:
        try:
            # A fresh handle: psutil keeps the first exe() it read, and a step's root is the spark-submit
            # script until it execs java.
            current = psutil.Process(process.pid)
            with current.oneshot():
                samples.append(Sample(current.pid, current.ppid(), current.exe(), current.memory_info().rss))
        except psutil.Error:
            pass
    return samples


def _subtree(samples: list[Sample], pid: int) -> list[Sample]:
    """``pid``'s sample and its descendants', from one sample of the whole tree."""
    inside = {pid}
    for s in samples:  # _tree lists parents before their children
        if s.ppid in inside:
            inside.add(s.pid)
    return [s for s in samples if s.pid in inside]


def _mib(samples: list[Sample]) -> float:
    return sum(s.rss for s in counted(samples)) / MIB


def _step_key(process: psutil.Process) -> str | None:
    """The --result-uri of a spark-submit launcher process; None for any other process."""
    try:
        command = process.cmdline()
    except psutil.Error:
        return None
    launcher = any(part.endswith("spark-submit") for part in command[:2])
    if not launcher and "org.apache.spark.deploy.SparkSubmit" not in command:
        return None
    if "--result-uri" in command:
        return command[command.index("--result-uri") + 1]
    return f"pid {process.pid}"


def watch(command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Watched:
    """Run ``command`` to its end, sampling its process tree's memory meanwhile."""
    started = time.monotonic()
    child = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    root = psutil.Process(child.pid)
    timeline: list[tuple[float, float]] = []
    steps: dict[int, tuple[str, psutil.Process]] = {}
    step_peaks: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = _tree(root)
            # One read of every process per sample; each step's peak is its part of the same read.
            samples = _samples(tree)
            timeline.append((time.monotonic() - started, _mib(samples)))
            for process in tree:
                if process.pid not in steps:
                    key = _step_key(process)
                    if key is not None:
                        steps[process.pid] = (key, process)
            for key, process in steps.values():
                if process.is_running():
                    step_peaks[key] = max(step_peaks.get(key, 0.0), _mib(_subtree(samples, process.pid)))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    peak = max((mib for _, mib in timeline), default=0.0)
    return Watched(child.returncode, stdout, stderr, wall, peak, timeline, step_peaks)
