/**
 * Paths on an EMR node that the cluster configuration, the bootstrap action (spark-jobs/emr/bootstrap.sh,
 * which receives them as arguments) and the step arguments must agree on.
 */
export const EMR_NODE = {
  /**
   * The interpreter PySpark's driver and executors use. EMR 7.x installs Python 3.9 and 3.11 ("Application
   * versions in Amazon EMR 7.x releases"); the stages need 3.11. The path is where Amazon Linux 2023's
   * python3.11 package puts it; the bootstrap action fails the cluster with a clear message if it is not
   * there (docs/ARCHITECTURE.md, "Python on the cluster").
   */
  python: '/usr/bin/python3.11',
  /** The step wrapper (spark-jobs/emr/aqi-spark-submit) every stage step runs in place of spark-submit. */
  stepWrapper: '/usr/local/bin/aqi-spark-submit',
} as const;
