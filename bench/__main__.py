"""``python -m bench [NAME ...] [--profile pg-1m|sqlite-100k|small]``: run benchmarks, print one JSON line per figure.

NAME is a module of this package with ``run(profile) -> list[dict]`` (core, abc, campaign, ...); with no NAME
every such module runs. A benchmark that fails stops the run with a message naming it and exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from bench import DEFAULT_PROFILE, PROFILES, BenchmarkError

REQUIRED = ("name", "value", "unit", "baseline", "baseline_value", "ratio")
NOT_BENCHMARKS = {"__main__", "generate"}


def discover() -> list[str]:
    """The modules of bench/ (imported only when run, so one broken module cannot hide the others), core first."""
    names = [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
             if m.name not in NOT_BENCHMARKS and not m.name.startswith("_")]
    return sorted(names, key=lambda n: (n != "core", n))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE,
                        help=f"data set size (default: {DEFAULT_PROFILE})")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    available = discover()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [n for n in args.names if n not in available]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; available: {', '.join(available)}")
    for name in args.names or available:
        try:
            module = importlib.import_module(f"bench.{name}")
            if not callable(getattr(module, "run", None)):
                raise BenchmarkError("the module has no run(profile) function")
            figures = module.run(args.profile)
        except BenchmarkError as exc:
            print(f"bench {name}: {exc}", file=sys.stderr)
            return 1
        except Exception:  # noqa: BLE001 - report which benchmark broke, then stop with an error
            traceback.print_exc()
            print(f"bench {name}: failed with the error above", file=sys.stderr)
            return 1
        for item in figures:
            missing = [key for key in REQUIRED if key not in item]
            if missing:
                print(f"bench {name}: figure {item.get('name')!r} lacks {', '.join(missing)}", file=sys.stderr)
                return 1
            print(json.dumps({**item, "profile": args.profile, "benchmark": name}, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
