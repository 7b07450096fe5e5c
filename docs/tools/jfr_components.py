# Copyright 2026 The Kiln Authors
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
# except in compliance with the License. You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software distributed under the
# License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
# either express or implied. See the License for the specific language governing permissions
# and limitations under the License.

# Summarises a JFR recording of SinkThroughputBenchmark (docs/benchmarks.md, issue 22 goal 5):
#   jfr print --json --stack-depth 64 --events jdk.ExecutionSample,jdk.ObjectAllocationSample x.jfr > x.json
#   python3 docs/tools/jfr_components.py x.json
# A sample goes to the first component (in the order of the rules) any frame of its stack matches.
import json, sys, collections
data = json.load(open(sys.argv[1]))
events = data['recording']['events']
def frames(e):
    st = e['values'].get('stackTrace')
    if not st: return []
    out = []
    for f in st['frames']:
        m = f['method']; t = m['type']['name'].replace('/', '.')
        out.append(t + '.' + m['name'])
    return out  # leaf first
def component(fs, thread):
    s = ' '.join(fs)
    rules = [
        ('compaction (merge, its reads and writes)', ['dev.kiln.table.GenerationMerger', 'dev.kiln.table.Compactor', 'dev.kiln.flink.sink.WriterCompaction', 'dev.kiln.table.Compaction.']),
        ('warm step (read back, decode, cache)', ['dev.kiln.warm.', 'WarmBeforeCommitOperator', 'dev.kiln.cache.']),
        ('generation writing (sort, encode pages, bloom, checksum, file I/O)', ['dev.kiln.format.GenerationWriter', 'dev.kiln.format.ChecksummingChannel', 'dev.kiln.format.XxHash64', 'dev.kiln.format.BloomFilter', 'RowDataMemtable.flush', 'RowDataMemtable.write', 'KilnSinkWriter.flush']),
        ('commit / manifest', ['dev.kiln.table.Commit', 'dev.kiln.table.Manifest', 'KilnCommitter', 'CommitAggregator', 'dev.kiln.table.TableJson']),
        ('converter (benchmark Tuple2 -> RowData)', ['SinkThroughputBenchmark$Converter']),
        ('key encoding', ['dev.kiln.flink.data.KeyEncoder', 'dev.kiln.format.KeyCodec', 'RowKeyExtractor']),
        ('memtable add (Arrow vector writes)', ['dev.kiln.flink.data.RowDataMemtable', 'dev.kiln.flink.data.ColumnConverter', 'dev.kiln.flink.data.RowConversion']),
        ('KilnSinkWriter.write other', ['dev.kiln.flink.sink.KilnSinkWriter']),
        ('RocksDB', ['org.rocksdb.']),
        ('serialization between operators (Flink network stack)', ['typeutils', 'org.apache.flink.runtime.io.network', 'StreamElementSerializer', 'RecordWriter', 'dev.kiln.flink.sink.Serialization', 'KilnCommittableSerializer', 'WrittenGenerationSerializer', 'org.apache.flink.core.memory', 'RecordDeserializer', 'NonSpanningWrapper', 'SpanningWrapper']),
        ('source (datagen) and converter', ['org.apache.flink.connector.datagen', 'SinkThroughputBenchmark', 'org.apache.flink.api.connector.source.lib', 'SourceReaderBase', 'SourceOperator']),
    ]
    for name, keys in rules:
        if any(k in s for k in keys): return name
    if any(x.startswith('org.apache.arrow') for x in fs): return 'Arrow other'
    if any(x.startswith('org.apache.flink') or x.startswith('org.apache.pekko') for x in fs): return 'Flink runtime other'
    return 'other (JDK, JMH, threads)'
samples = [e for e in events if e['type'] == 'jdk.ExecutionSample']
n = len(samples)
comp = collections.Counter(); top = collections.Counter(); kiln = collections.Counter(); thr = collections.Counter()
examples = {}
for e in samples:
    fs = frames(e); th = e['values'].get('sampledThread', {}) or {}
    tname = th.get('javaName') or th.get('osName') or '?'
    c = component(fs, tname); comp[c] += 1
    examples.setdefault(c, fs[:12])
    if fs: top[fs[0]] += 1
    k = next((f for f in fs if f.startswith('dev.kiln.')), None)
    if k: kiln[k] += 1
    tn = tname.split(' (')[0]
    import re; tn = re.sub(r'[#\-]?\d+', '#', tn)
    thr[tn] += 1
print('execution samples:', n)
print('\n## by component'); [print(f'{v*100/n:5.1f}%  {v:6d}  {k}') for k, v in comp.most_common()]
print('\n## top 15 leaf methods'); [print(f'{v*100/n:5.1f}%  {v:6d}  {k}') for k, v in top.most_common(15)]
callers = collections.defaultdict(collections.Counter)
for e in samples:
    fs = frames(e)
    if fs: callers[fs[0]][' < '.join(f.split('.')[-2]+'.'+f.split('.')[-1] for f in fs[1:4])] += 1
print('\n## callers of top 12 leaves')
for k, v in top.most_common(12): print(k, '::', callers[k].most_common(2))
print('\n## top 15 innermost Kiln frames'); [print(f'{v*100/n:5.1f}%  {v:6d}  {k}') for k, v in kiln.most_common(15)]
print('\n## by thread'); [print(f'{v*100/n:5.1f}%  {v:6d}  {k}') for k, v in thr.most_common(12)]
if '-v' in sys.argv:
    for c, fs in examples.items(): print('\n#', c); print('\n'.join(fs))
al = [e for e in events if e['type'] == 'jdk.ObjectAllocationSample']
w = collections.Counter(); wk = collections.Counter(); wt = 0
for e in al:
    wgt = e['values'].get('weight', 0); wt += wgt
    fs = frames(e); cls = e['values']['objectClass']['name']
    site = fs[0] if fs else '?'
    w[(cls, site)] += wgt
    k = next((f for f in fs if f.startswith('dev.kiln.') or 'SinkThroughput' in f), None)
    wk[(cls, k, component(fs, ''))] += wgt
print('\n## allocation samples:', len(al), 'total weight %.1f GB' % (wt/1e9))
print('\n## top 15 allocation sites (class, leaf frame)'); [print(f'{v*100/wt:5.1f}%  {v/1e6:9.0f} MB  {k}') for k, v in w.most_common(15)]
print('\n## top 15 allocation (class, innermost Kiln frame, component)'); [print(f'{v*100/wt:5.1f}%  {v/1e6:9.0f} MB  {k}') for k, v in wk.most_common(15)]
ac = collections.Counter()
for (cls,k,c), v in wk.items(): ac[c]+=v
print('\n## allocation by component'); [print(f'{v*100/wt:5.1f}%  {k}') for k, v in ac.most_common()]
