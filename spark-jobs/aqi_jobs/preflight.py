"""What ``entry.py`` checks before anything else: the interpreter is Python 3.11+ and the modules the stage
imports are there. On EMR a wrong ``spark.pyspark.python`` or a failed bootstrap action would otherwise
surface as a traceback from deep inside a stage (``datetime.UTC`` is 3.11+; Bronze's API source imports
boto3). Each problem is one line naming what is missing and the fix.

Written for any Python 3 (no 3.10+ syntax): it must run, and say what is wrong, on the interpreter it
rejects. Only ``entry.py`` imports it, before it imports the CLI.
"""

import importlib
import sys

REQUIRED_PYTHON = (3, 11)

_PYTHON_FIX = (
    "set spark.pyspark.python and spark.pyspark.driver.python to a Python 3.11 "
    "(on EMR 7.x /usr/bin/python3.11, the cluster configuration in lib/workflow/emr-cluster.ts)"
)
_MODULE_FIX = {
    "pyspark": "run the stage through spark-submit, which puts pyspark on the Python path",
    "boto3": (
        "install spark-jobs/emr/requirements-emr.txt into this interpreter "
        "(the cluster's bootstrap action spark-jobs/emr/bootstrap.sh does; its log is under the LogUri)"
    ),
}


def required_modules(argv):
    """The modules the stage in ``argv`` imports beyond the standard library, with why."""
    modules = [("pyspark", "Spark's Python API")]
    if "--api-key-secret" in argv:
        modules.append(("boto3", "reads the OpenAQ API key from Secrets Manager"))
    return modules


def interpreter_problem(argv, version_info=None, import_module=None, executable=None):
    """One line describing the first problem found, or None when the stage can start."""
    version_info = sys.version_info if version_info is None else version_info
    import_module = importlib.import_module if import_module is None else import_module
    executable = sys.executable if executable is None else executable
    if tuple(version_info[:2]) < REQUIRED_PYTHON:
        found = f"{version_info[0]}.{version_info[1]}"
        needed = f"{REQUIRED_PYTHON[0]}.{REQUIRED_PYTHON[1]}"
        return (
            f"aqi-jobs: {executable} is Python {found}; the stages need {needed} or later. Fix: {_PYTHON_FIX}"
        )
    for module, why in required_modules(argv):
        try:
            import_module(module)
        except ImportError as error:
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            fix = _MODULE_FIX[module]
            return f"aqi-jobs: {executable} cannot import {module} (the stage {why}): {detail}. Fix: {fix}"
    return None
