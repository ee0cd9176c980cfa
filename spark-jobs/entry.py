"""spark-submit main file of every aqi-pipeline stage: ``entry.py <bronze|silver|gold> ...``.

The interpreter and import check runs first and alone, so a wrong Python on the cluster ends the step
with one line naming the problem and its fix, before any Spark work (aqi_jobs/preflight.py).
"""

import sys

from aqi_jobs.preflight import interpreter_problem

if __name__ == "__main__":
    problem = interpreter_problem(sys.argv[1:])
    if problem is not None:
        print(problem, file=sys.stderr)
        sys.exit(1)
    from aqi_jobs.cli import main

    sys.exit(main(sys.argv[1:]))
