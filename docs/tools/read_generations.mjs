// Copyright 2026 The Kiln Authors. Licensed under the Apache License, Version 2.0; see LICENSE.
//
// Reads Kiln generation files with Arrow's JavaScript library (npm apache-arrow) and compares
// every row with the rows the Java writer wrote (docs/format.md, "Other readers").
//
//   cd docs/tools && npm ci && node read_generations.mjs <dir>
//
// <dir> holds none.arrow, lz4-frame.arrow, zstd.arrow, zstd-stored.arrow (pages cut at bytes on
// storage), zstd-19.arrow (their strings as Utf8View, format version 4), zstd-utf8.arrow (format
// version 3, strings as Utf8), zstd-filter-0.9.arrow (a key filter sized for 0.9, as a table's
// bottommost compaction outputs may have) and expected.json, as written by
// dev.kiln.format.InteropFiles (connector test classes). Exit code 0 if every file reads and every
// row matches, 1 otherwise.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, compressionRegistry, CompressionType } from 'apache-arrow';
import lz4 from 'lz4js';
import { decompress as unzstd } from 'fzstd';

// arrow-js (>= 21) decodes compressed IPC buffers through codecs the application registers. A
// codec must return an array that starts at offset 0 of its own buffer: arrow-js views it as
// 64-bit values in place, so an unaligned view (fzstd returns one) fails; hence the copies.
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (bytes) => Uint8Array.from(lz4.decompress(bytes)) });
compressionRegistry.set(CompressionType.ZSTD, { decode: (bytes) => unzstd(bytes).slice() });

const dir = process.argv[2];
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

function rows(table) {
  const out = [];
  const column = (name) => table.getChild(name);
  const cols = ['id', 'v', 's', 'd', 'dec', 'ts', '_kiln_kind'].map(column);
  for (let i = 0; i < table.numRows; i++) {
    const [id, v, s, d, dec, ts, kind] = cols;
    const valid = (c) => c.isValid(i);
    out.push({
      id: String(id.get(i)),
      v: valid(v) ? String(v.get(i)) : null,
      s: valid(s) ? s.get(i) : null,
      d: valid(d) ? (Number.isNaN(d.get(i)) ? 'NaN' : Object.is(d.get(i), -0) ? '-0' : String(d.get(i))) : null,
      dec: valid(dec) ? unscaled(dec, i) : null,
      ts: valid(ts) ? rawInt64(ts, i) : null,
      kind: kind.get(i),
    });
  }
  return out;
}

// The raw value of a 64-bit column (a timestamp in its unit), whatever get() converts it to.
function rawInt64(vector, i) {
  let row = i;
  for (const data of vector.data) {
    if (row < data.length) {
      const values = data.values;
      if (values instanceof BigInt64Array) return String(values[data.offset + row]);
      return String(new DataView(values.buffer, values.byteOffset, values.byteLength).getBigInt64((data.offset + row) * 8, true));
    }
    row -= data.length;
  }
  throw new Error(`row ${i} out of range`);
}

// A decimal128's unscaled value: four little-endian 32-bit words, two's complement.
function unscaled(vector, i) {
  let row = i;
  for (const data of vector.data) {
    if (row < data.length) {
      const words = data.values; // Uint32Array, 4 per value
      let n = 0n;
      for (let w = 3; w >= 0; w--) {
        n = (n << 32n) | BigInt(words[(data.offset + row) * 4 + w]);
      }
      if (n >= 1n << 127n) n -= 1n << 128n;
      return String(n);
    }
    row -= data.length;
  }
  throw new Error(`row ${i} out of range`);
}

let failed = false;
for (const codec of ['none', 'lz4-frame', 'zstd', 'zstd-stored', 'zstd-19', 'zstd-utf8', 'zstd-filter-0.9']) {
  const file = join(dir, `${codec}.arrow`);
  try {
    const table = tableFromIPC(readFileSync(file));
    const got = rows(table);
    const batches = table.batches.length;
    let mismatch = got.length === expected.length ? -1 : Math.min(got.length, expected.length);
    for (let i = 0; mismatch < 0 && i < got.length; i++) {
      if (JSON.stringify(got[i]) !== JSON.stringify(expected[i])) mismatch = i;
    }
    if (mismatch >= 0) {
      failed = true;
      console.log(`${codec}: MISMATCH at row ${mismatch}: got ${JSON.stringify(got[mismatch])}, expected ${JSON.stringify(expected[mismatch])}`);
    } else {
      console.log(`${codec}: OK, ${got.length} rows in ${batches} record batches equal the writer's`);
    }
  } catch (e) {
    failed = true;
    console.log(`${codec}: FAILED to read: ${e}`);
  }
}
process.exit(failed ? 1 : 0);
