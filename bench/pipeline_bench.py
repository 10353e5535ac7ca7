#!/usr/bin/env python3
"""CPU cost of each pipeline stage against `zcat` on the same object.

Starts moto_server and the Log Analytics stand-in on 127.0.0.1, uploads one
gzip'd Code42-like export, then runs
    s3-fetch s3://bucket/key | c42-transform | la-post
and reports each stage's user+system CPU seconds (from wait4) next to the
CPU of `zcat` decompressing the same bytes, measured in the same run.
The peers' own CPU is not counted.

    bench/pipeline_bench.py [--events N]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
from procs import peak_rss_kib  # noqa: E402


def cpu_of(procs):
    """Waits for every process; returns {name: (cpu seconds, peak RSS KiB, status)}."""
    out = {}
    pending = {p.pid: name for name, p in procs}
    peaks = {pid: 0 for pid in pending}
    while pending:
        for pid in pending:
            peaks[pid] = max(peaks[pid], peak_rss_kib(pid))
        pid, status, usage = os.wait4(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.02)
            continue
        if pid in pending:
            out[pending.pop(pid)] = (usage.ru_utime + usage.ru_stime, peaks[pid],
                                     os.waitstatus_to_exitcode(status))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200000, help="events in the object")
    args = parser.parse_args()
    build = os.environ.get("C42_BUILD_DIR", os.path.join(ROOT, "build"))
    subprocess.run([os.path.join(ROOT, "scripts", "build")], check=True,
                   stdout=subprocess.DEVNULL)
    import dataset
    import peers

    work = tempfile.mkdtemp(prefix="c42-bench-")
    rng = random.Random(7)
    lines = [dataset.event_line(rng, 0, i) for i in range(args.events)]
    blob = dataset.encode(lines, "gzip")
    raw_bytes = sum(len(l.encode()) + 1 for l in lines)
    path = os.path.join(work, "export.json.gz")
    with open(path, "wb") as f:
        f.write(blob)

    moto = peers.Moto(os.path.join(work, "moto.log"))
    la = peers.LogAnalytics(work)
    try:
        moto.client("s3").create_bucket(Bucket="bench-bucket")
        moto.client("s3").put_object(Bucket="bench-bucket", Key="export.json.gz", Body=blob)
        env = dict(os.environ)
        env.update(moto.tool_env())
        env.update(la.tool_env())

        zcat = subprocess.Popen(["zcat", path], stdout=subprocess.DEVNULL)
        reference = cpu_of([("zcat", zcat)])["zcat"][0]

        start = time.time()
        fetch = subprocess.Popen([os.path.join(build, "s3-fetch"), "--skip-before", "none",
                                  "s3://bench-bucket/export.json.gz"], stdout=subprocess.PIPE, env=env)
        transform = subprocess.Popen([os.path.join(build, "c42-transform")], stdin=fetch.stdout,
                                     stdout=subprocess.PIPE, env=env)
        fetch.stdout.close()
        post = subprocess.Popen([os.path.join(build, "la-post"), "--log-type", "Bench"],
                                stdin=transform.stdout, stdout=subprocess.DEVNULL, env=env)
        transform.stdout.close()
        usage = cpu_of([("s3-fetch", fetch), ("c42-transform", transform), ("la-post", post)])
        wall = time.time() - start
    finally:
        la.stop()
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)

    print("object: %d events, %.1f MB raw, %.1f MB gzip" % (args.events, raw_bytes / 1e6, len(blob) / 1e6))
    print("%-14s %8s %9s %12s %6s" % ("stage", "cpu s", "x zcat", "peak RSS", "exit"))
    print("%-14s %8.3f %9.2f %12s %6s" % ("zcat", reference, 1.0, "-", 0))
    total = 0.0
    for name in ("s3-fetch", "c42-transform", "la-post"):
        cpu, rss, status = usage[name]
        total += cpu
        print("%-14s %8.3f %9.2f %8d KiB %6d" % (name, cpu, cpu / reference, rss, status))
    print("%-14s %8.3f %9.2f" % ("pipeline", total, total / reference))
    print("wall %.1f s (includes the Python stand-in accepting %.1f MB)" % (wall, raw_bytes / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
