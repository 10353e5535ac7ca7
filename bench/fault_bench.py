#!/usr/bin/env python3
"""The long run of the fault suite (tests/integration/test_faults.py): by
default 200 kill trials instead of CI's 20, then the dead-letter queue
redriven and a final clean run that must deliver every line; with --all
also the bad-input cases and the 2 GiB object. Builds first, starts its own
moto_server and stand-ins on 127.0.0.1 (as the suite does) and prints the
suite's summary line last:

    faults: trials=N records=R lost=0 duplicates=D quarantined=Q peak_rss_mb={...}

    bench/fault_bench.py [--trials N] [--seed S] [--all]
"""

import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200, help="kill trials (default 200)")
    parser.add_argument("--seed", type=int, help="seed of the trials (default: a random one)")
    parser.add_argument("--all", action="store_true",
                        help="the whole suite, not only the kill trials")
    args = parser.parse_args()
    build = os.environ.get("C42_BUILD_DIR", os.path.join(ROOT, "build"))
    subprocess.run([os.path.join(ROOT, "scripts", "build")], check=True,
                   stdout=subprocess.DEVNULL)
    shims = subprocess.run([os.path.join(ROOT, "scripts", "deps"), "--peers"], check=True,
                           capture_output=True, text=True).stdout.strip()
    env = dict(os.environ, C42_BIN_DIR=build, C42_SOURCE_DIR=ROOT,
               C42_FAULT_TRIALS=str(args.trials))
    if shims:
        env["PATH"] = shims + os.pathsep + env.get("PATH", "")
    if args.seed is not None:
        env["C42_FAULT_SEED"] = str(args.seed)
    suite = "test_faults" if args.all else "test_faults.KillTrials"
    return subprocess.run([sys.executable, "-m", "unittest", "-v", suite], env=env,
                          cwd=os.path.join(ROOT, "tests", "integration")).returncode


if __name__ == "__main__":
    sys.exit(main())
