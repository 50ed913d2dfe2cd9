#!/usr/bin/env python3
"""Merge the results.json of a benchmark run split into parts (e.g. --classes 0,1,2,3,4 into
OUT-a and --classes 5,6,7,8,9 into OUT-b, run side by side) into one OUT/results.json.

Every part must come from the same benchmark with the same settings: all top-level fields except
the list of finished records and the totals computed from it (recomputed here) must be equal,
or nothing is written. The records (`units`, or `classes` for mnist-ovr) are concatenated in the order of the
parts; a record found twice (same dataset / class / variant / seed / method ...) is an error.
The file is written to a temporary name and renamed. Afterwards, run the same `oneclass bench`
command with every class on OUT: it finds all records finished, trains nothing, and writes
table.md, results.csv and report.json.

usage: scripts/merge_bench_parts.py --out OUT PART_DIR [PART_DIR ...]
"""
import argparse
import json
import os
import sys

RECORD_LISTS = ("units", "classes")
# Totals kept beside the records (mnist-ovr), recomputed here from the record field named.
DERIVED_FROM = {"mean_auroc": "auroc", "total_seconds": "seconds"}
DERIVED = tuple(DERIVED_FROM)
# Fields that say which unit of work a record is (not what it measured), over all benchmarks.
IDENTITY = ("dataset", "normal_class", "class_name", "variant", "norm", "method", "seed",
            "split_seed", "rule", "ratio_known_anomaly", "ratio_pollution", "n_known_classes",
            "kind", "alteration", "config", "regularizer", "weight", "anneal", "lr")


def fail(message):
    sys.exit(f"merge_bench_parts: {message}")


def load(folder):
    path = os.path.join(folder, "results.json")
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    lists = [k for k in RECORD_LISTS if isinstance(report, dict) and isinstance(report.get(k), list)]
    if len(lists) != 1:
        fail(f"{path}: expected an object with exactly one of the fields {', '.join(RECORD_LISTS)} as a list")
    for i, record in enumerate(report[lists[0]]):
        if not isinstance(record, dict):
            fail(f"{path}: {lists[0]}[{i}] is not an object")
        for field in DERIVED_FROM.values():
            if field in record and not isinstance(record[field], (int, float)):
                fail(f"{path}: {lists[0]}[{i}].{field} is not a number")
    return path, lists[0], report


def header(report, records_key):
    return {k: v for k, v in report.items() if k != records_key and k not in DERIVED}


def identity(record):
    return tuple((k, json.dumps(record[k])) for k in IDENTITY if k in record)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("parts", nargs="+")
    args = parser.parse_args()
    target = os.path.join(args.out, "results.json")
    if os.path.exists(target):
        fail(f"{target} exists; merge into an empty folder")

    first_path, records_key, merged = load(args.parts[0])
    merged[records_key] = []
    seen = {}
    for folder in args.parts:
        path, key, report = load(folder)
        theirs, ours = header(report, key), header(merged, records_key)
        if key != records_key or theirs != ours:
            differing = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
            fail(f"{path} differs from {first_path} in {', '.join(differing) or records_key}; not merging")
        for record in report[key]:
            ident = identity(record)
            if ident in seen:
                named = ", ".join(f"{k} {record[k]}" for k in IDENTITY if k in record)
                fail(f"{path}: the record for {named} is also in {seen[ident]}")
            seen[ident] = path
            merged[records_key].append(record)
    records = merged[records_key]
    # mnist-ovr reads these back and only recomputes them when it trains a new class.
    for total, field in DERIVED_FROM.items():
        if total in merged:
            values = [r.get(field) for r in records]
            if None in values:
                fail(f"a record in {records_key} has no field {field} to recompute {total} from")
            if total == "mean_auroc":
                merged[total] = sum(values) / len(values) if values else None
            else:
                merged[total] = sum(values)
    os.makedirs(args.out, exist_ok=True)
    temporary = target + ".tmp"
    with open(temporary, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    os.replace(temporary, target)
    print(f"{target}: {len(merged[records_key])} {records_key} from {len(args.parts)} parts")


if __name__ == "__main__":
    main()
