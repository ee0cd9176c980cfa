"""One cold JVM: decode one month of 10 locations' archive files as Bronze does, in variant argv[1]."""
import sys, time
t0 = time.time()
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from datetime import date
spark = SparkSession.builder.getOrCreate()
t1 = time.time()
from aqi_jobs.sources import archive
variant, root = sys.argv[1], sys.argv[2]
paths = archive.list_files(spark, root, list(range(1, 11)) if False else [int(x) for x in sys.argv[3].split(',')], date(2024,1,1), date(2024,1,31))
if variant == 'noverify':
    orig = spark.createDataFrame
    def cdf(data, schema=None, samplingRatio=None, verifySchema=True):
        return orig(data, schema, samplingRatio, verifySchema=False)
    spark.createDataFrame = cdf
if variant.startswith('oc'):
    spark.conf.set('spark.sql.files.openCostInBytes', variant[2:])
if variant in ('new', 'nopath') or variant.startswith('oc'):
    from pyspark.sql import DataFrame
    if variant == 'nopath':
        # the same read without the job that collects the returned paths
        orig_collect = DataFrame.collect
        def fake(self):
            if self.columns == ['path']:
                return [type('R', (), {'path': p})() for p in paths]
            return orig_collect(self)
        DataFrame.collect = fake
    decoded = archive.read_files(spark, paths).cache()
    rej = decoded.where(F.col('error').isNotNull()).collect()
    if variant == 'nopath':
        DataFrame.collect = orig_collect
elif variant in ('thr', 'dirs', 'load'):
    if variant == 'thr':
        spark.conf.set('spark.sql.sources.parallelPartitionDiscovery.threshold', '1000000')
    src = sorted({p.rsplit('/', 1)[0] + '/' for p in paths}) if variant == 'dirs' else paths
    ta = time.time()
    files = spark.read.format('binaryFile').load(src).select('path', 'content')
    tb = time.time(); n0 = files.count(); tc = time.time()
    print(f"LOAD {variant} paths={len(src)} load={tb-ta:.2f} count={tc-tb:.2f} n={n0}")
    decoded = files
elif variant == 'scan':
    files = spark.read.format('binaryFile').load(paths).select('path', 'content')
    ta = time.time(); n0 = files.count(); tb = time.time()
    rows = files.collect(); tc = time.time()
    dec = [r for row in rows for r in archive._decoded_rows(row.path, row.content)]
    td = time.time()
    print(f"SCAN load+count={tb-t1:.2f} (count {tb-ta:.2f}) collect={tc-tb:.2f} pydecode={td-tc:.2f} rows={len(dec)}")
    decoded = files
elif variant == 'rdd':
    files = spark.read.format('binaryFile').load(paths).select('path', 'content')
    ta = time.time()
    n1 = files.rdd.flatMap(lambda row: archive._decoded_rows(row.path, row.content)).count()
    print(f"RDD load={ta-t1:.2f} flatMap-count={time.time()-ta:.2f} rows={n1}")
    decoded = files
else:
    decoded = archive.read_files(spark, paths).cache()
    rej = decoded.where(F.col('error').isNotNull()).collect()
t2 = time.time()
n = decoded.count()
print(f"PARTS {variant} {decoded.rdd.getNumPartitions()}")
t3 = time.time()
print(f"RESULT {variant} files={len(paths)} rows={n} session={t1-t0:.2f} decode={t2-t1:.2f} count={t3-t2:.2f}", flush=True)
