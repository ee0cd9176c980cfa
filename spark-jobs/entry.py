"""spark-submit main file of every aqi-pipeline stage: ``entry.py <bronze|silver|gold> ...``."""

import sys

from aqi_jobs.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
