"""Run every benchmark module in this folder and write its results.

Each ``benchmarks/bench_*.py`` defines ``run() -> dict``: a JSON-ready record
with at least ``name``, ``summary`` (one line for the table below) and the
timings it measured.  Performance claims are ratios against a peer measured in
the same process, never timed assertions in unit tests.

Usage::

    python -m benchmarks.run            # all benchmarks
    python -m benchmarks.run reconstruct ml   # the named ones
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def _available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or _available()
    unknown = sorted(set(names) - set(_available()))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {_available()}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    machine = f"{platform.machine()}, {platform.python_version()}, {platform.node()}"
    for name in names:
        print(f"== benchmark {name}", flush=True)
        record = importlib.import_module(f"benchmarks.bench_{name}").run()
        record.setdefault("name", name)
        record["date"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        record["machine"] = machine
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(record, indent=2, default=str) + "\n")
        print(f"   {record.get('summary', '')}\n   -> {path}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
