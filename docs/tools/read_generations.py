# Copyright 2026 The Kiln Authors. Licensed under the Apache License, Version 2.0; see LICENSE.
#
# Reads Kiln generation files with pyarrow and compares every row with the rows the Java writer
# wrote (docs/format.md, "Other readers"); the Python twin of read_generations.mjs.
#
#   python3 read_generations.py <dir>
#
# <dir> holds the files and expected.json written by dev.kiln.format.InteropFiles (connector test
# classes). Exit code 0 if every file reads and every row matches, 1 otherwise.
import json
import math
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc

CODECS = ["none", "lz4-frame", "zstd", "zstd-stored", "zstd-19", "zstd-utf8", "zstd-filter-0.9"]


def double(x):
    # As read_generations.mjs writes JavaScript's String(d) for the values the writer uses.
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "-0" if math.copysign(1, x) < 0 else "0"
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    text = repr(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0')}"
    return text


def rows(table):
    columns = {name: table.column(name).to_pylist() for name in ["id", "v", "s", "d", "_kiln_kind"]}
    # Raw values: the decimal's unscaled integer, the timestamp in its unit.
    dec = table.column("dec")
    scale = dec.type.scale
    decs = [None if x is None else str(int(x.scaleb(scale))) for x in dec.to_pylist()]
    ts = table.column("ts").cast(pa.int64()).to_pylist()
    out = []
    for i in range(table.num_rows):
        d = columns["d"][i]
        out.append(
            {
                "id": str(columns["id"][i]),
                "v": None if columns["v"][i] is None else str(columns["v"][i]),
                "s": columns["s"][i],
                "d": None if d is None else double(d),
                "dec": decs[i],
                "ts": None if ts[i] is None else str(ts[i]),
                "kind": columns["_kiln_kind"][i],
            }
        )
    return out


def main(directory):
    expected = json.loads((Path(directory) / "expected.json").read_text(encoding="utf-8"))
    failed = False
    for codec in CODECS:
        try:
            reader = ipc.open_file(str(Path(directory) / f"{codec}.arrow"))
            table = reader.read_all()
            actual = rows(table)
            if actual != expected:
                first = next(i for i, (a, e) in enumerate(zip(actual, expected)) if a != e) if len(actual) == len(expected) else None
                print(f"{codec}: MISMATCH ({len(actual)} rows; first difference at row {first})")
                failed = True
            else:
                print(f"{codec}: OK, {table.num_rows} rows in {reader.num_record_batches} record batches"
                      f" equal the writer's (pyarrow {pa.__version__})")
        except Exception as e:  # a file that does not read is a failure, not a crash
            print(f"{codec}: FAILED {e!r}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
