#!/usr/bin/env python3
"""The pipeline benchmark (run it through bench/run, which builds first and
finds moto): on one generated data set it times the decompression
references, the whole pipeline (scripts/c42-ship against moto_server and a
light Log Analytics sink) and each tool alone on prepared stream files, and
prints CPU seconds (user+sys from wait4, our processes only), wall seconds,
records/s, uncompressed MB/s and peak RSS, with the whole pipeline's CPU
against zcat's as the headline. Then, unless --no-python, it runs the
design c42-ship replaces (bench/python_baseline.py) over the same objects,
moto and sink, and sets records/s side by side in a second headline.
Everything listens on 127.0.0.1; every
process started here is stopped by its PID.

    bench/run [--events N] [--objects N] [--seed S] [--data DIR] [--no-python]
              [--scale [100]]
"""

import argparse
import base64
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
import procs  # noqa: E402

BUCKET = "bench-bucket"
PREFIX = "code42/exports/2026-11-25/"
EVENTS_PER_OBJECT = 2000
# One object in ten ends without a final newline, as some exports do.
NO_NEWLINE_EVERY = 10
# gzip's own default level, the one exporters use; Python's default is 9.
GZIP_LEVEL = 6
# Bumped whenever the generator changes, so a --data cache is not reused.
DATA_VERSION = 1
TICKS = os.sysconf("SC_CLK_TCK")
STAGES = ["sqs-poll", "s3-fetch", "c42-transform", "la-post", "sqs-ack"]


# --- data ----------------------------------------------------------------

def generate(directory, events, objects, seed):
    """Writes `objects` gzip'd exports of `events` events in all to
    directory (reusing what an earlier run with the same arguments left
    there); returns the manifest: {"objects": [{"file", "key", "records",
    "raw", "gzip", "long"}], ...}."""
    manifest_path = os.path.join(directory, "manifest.json")
    wanted = {"version": DATA_VERSION, "events": events, "objects_wanted": objects, "seed": seed}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        if all(manifest.get(k) == v for k, v in wanted.items()):
            return manifest
    os.makedirs(directory, exist_ok=True)
    started = time.time()
    manifest = dict(wanted, objects=[])
    for n in range(objects):
        count = events // objects + (1 if n < events % objects else 0)
        rng = random.Random(seed * 1000003 + n)
        lines = [dataset.realistic_line(rng, n, i) for i in range(count)]
        how = "gzip-no-newline" if n % NO_NEWLINE_EVERY == NO_NEWLINE_EVERY - 1 else "gzip"
        blob = dataset.encode(lines, how, GZIP_LEVEL)
        name = "file-events-%05d.json.gz" % n
        with open(os.path.join(directory, name), "wb") as f:
            f.write(blob)
        raw = sum(len(line.encode("utf-8")) + 1 for line in lines) - (how != "gzip")
        manifest["objects"].append({"file": name, "key": PREFIX + name, "records": count,
                                    "raw": raw, "gzip": len(blob),
                                    "long": sum(len(line) > 50000 for line in lines)})
    with open(manifest_path, "w") as f:
        json.dump(manifest, f)
    print("generated %d events in %d objects in %.0f s" % (events, objects, time.time() - started),
          file=sys.stderr)
    return manifest


def totals(manifest):
    objs = manifest["objects"]
    return {"records": sum(o["records"] for o in objs), "raw": sum(o["raw"] for o in objs),
            "gzip": sum(o["gzip"] for o in objs), "long": sum(o["long"] for o in objs),
            "objects": len(objs)}


# --- measuring -----------------------------------------------------------

class Measured:
    """One process (tree) run: CPU from wait4, wall time, peak RSS (VmHWM
    polled from /proc; when a driver's children are watched, the largest of
    them, and each program's in tree_rss), exit status."""

    def __init__(self, name, cpu, wall, rss_kib, status, tree_rss=None):
        self.name, self.cpu, self.wall, self.rss_kib, self.status = name, cpu, wall, rss_kib, status
        self.tree_rss = tree_rss or {}


def run_measured(name, argv, stdin=None, stdout=None, env=None, watch_children=False):
    """Runs argv to completion. Its CPU is wait4's user+sys, which covers
    the children it waited for (a driver's stages) but no other process."""
    stdin_f = open(stdin, "rb") if stdin else subprocess.DEVNULL
    stdout_f = open(stdout, "wb") if stdout else subprocess.DEVNULL
    started = time.time()
    try:
        proc = subprocess.Popen(argv, stdin=stdin_f, stdout=stdout_f, env=env)
    finally:
        if stdin:
            stdin_f.close()
        if stdout:
            stdout_f.close()
    peak = 0
    tree = {}  # pid -> (program name, peak KiB)
    while True:
        peak = max(peak, procs.peak_rss_kib(proc.pid))
        if watch_children:
            for pid, comm in procs.children_of(proc.pid).items():
                rss = procs.peak_rss_kib(pid)
                tree[pid] = (comm, max(rss, tree.get(pid, (comm, 0))[1]))
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        time.sleep(0.02)
    wall = time.time() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # A run shorter than the polling interval leaves no sample; wait4's
    # figure then stands in (the child is spawned with vfork, so it is the
    # program's own).
    peak = peak or usage.ru_maxrss
    by_name = {}
    for comm, rss in tree.values():
        by_name[comm] = max(by_name.get(comm, 0), rss)
        peak = max(peak, rss)
    return Measured(name, usage.ru_utime + usage.ru_stime, wall, peak, proc.returncode, by_name)


def cpu_seconds(pid):
    """user+sys of a running process (a peer), from /proc."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


class Sink:
    """bench/la_sink.py: counts what la-post sends."""

    def __init__(self, workdir):
        port_file = os.path.join(workdir, "sink-port")
        if os.path.exists(port_file):  # an earlier sink's, in a --scale run
            os.remove(port_file)
        self.log = open(os.path.join(workdir, "sink.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "la_sink.py"),
                                      "--port-file", port_file],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.endpoint = "http://127.0.0.1:%d" % peers.port_from_file(self.proc, port_file,
                                                                         "la_sink.py")
        except RuntimeError:
            self.stop()
            raise

    def counts(self):
        with urllib.request.urlopen(self.endpoint + "/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def tool_env(self):
        return {"LA_WORKSPACE_ID": str(uuid.uuid4()),
                "LA_SHARED_KEY": base64.b64encode(os.urandom(64)).decode(),
                "LA_ENDPOINT": self.endpoint, "LA_LOG_TYPE": "Bench"}

    def stop(self):
        peers.stop_process(self.proc)
        self.log.close()


class Peers:
    """moto_server with the data uploaded and announced, and the sink."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.moto = peers.Moto(os.path.join(workdir, "moto.log"))
        try:
            self.sink = Sink(workdir)
        except Exception:
            self.moto.stop()
            raise
        self.s3 = self.moto.client("s3")
        self.sqs = self.moto.client("sqs")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
        self.env.update(self.moto.tool_env())
        self.env.update(self.sink.tool_env())

    def upload(self, data_dir, manifest):
        self.s3.create_bucket(Bucket=BUCKET)
        for o in manifest["objects"]:
            with open(os.path.join(data_dir, o["file"]), "rb") as f:
                self.s3.put_object(Bucket=BUCKET, Key=o["key"], Body=f)

    def announce(self, manifest):
        """A fresh queue announcing every object once; its URL."""
        queue = self.sqs.create_queue(QueueName="bench-" + uuid.uuid4().hex[:8])["QueueUrl"]
        objs = manifest["objects"]
        for i in range(0, len(objs), 10):
            self.sqs.send_message_batch(QueueUrl=queue, Entries=[
                {"Id": str(j), "MessageBody": dataset.code42_body(BUCKET, o["key"])}
                for j, o in enumerate(objs[i:i + 10])])
        return queue

    def queue_depth(self, queue):
        a = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def cpu(self):
        return {"moto": cpu_seconds(self.moto.proc.pid), "sink": cpu_seconds(self.sink.proc.pid)}

    def stop(self):
        self.sink.stop()
        self.moto.stop()


# --- runs ----------------------------------------------------------------

def references(data_dir, manifest):
    files = [os.path.join(data_dir, o["file"]) for o in manifest["objects"]]
    runs, notes = [], []
    for name, argv in [("zcat", ["zcat"]), ("igzip -d", ["igzip", "-d", "-c"]),
                       ("libdeflate-gunzip", ["libdeflate-gunzip", "-c"])]:
        if not shutil.which(argv[0]):
            notes.append("%s: not installed, skipped" % argv[0])
            continue
        runs.append(run_measured(name, argv + files))
    return runs, notes


def whole_pipeline(build, p, manifest, workdir, expect_rows=None):
    """scripts/c42-ship over a queue announcing every object; returns
    (Measured, notes)."""
    queue = p.announce(manifest)
    config = os.path.join(workdir, "c42-ship.env")
    with open(config, "w") as f:
        f.write("SQS_QUEUE_URL=%s\nC42_BIN_DIR=%s\n" % (queue, build))
    before_sink, before_cpu = p.sink.counts(), p.cpu()
    started = time.time()
    m = run_measured("c42-ship (whole pipeline)",
                     [os.path.join(ROOT, "scripts", "c42-ship"), "--config", config,
                      "--budget", "3600"],
                     stdout=os.path.join(workdir, "c42-ship.out"), env=p.env, watch_children=True)
    after_sink, after_cpu = p.sink.counts(), p.cpu()
    rows = after_sink["rows"] - before_sink["rows"]
    m.delivered_wall = delivered_after(after_sink, started)
    notes = ["peak RSS in the whole run (MB): " + ", ".join(
                 "%s %.1f" % (n, m.tree_rss[n] / 1024) for n in STAGES if n in m.tree_rss),
             "peers' CPU in the whole run (not counted): moto %.2f s, sink %.2f s" % (
                 after_cpu["moto"] - before_cpu["moto"], after_cpu["sink"] - before_cpu["sink"]),
             "sink received %d rows in %d posts; messages left on the queue: %d" % (
                 rows, after_sink["requests"] - before_sink["requests"], p.queue_depth(queue)),
             delivered_note(m)]
    with open(os.path.join(workdir, "c42-ship.out")) as f:
        notes.append("c42-ship: " + " ".join(f.read().split()))
    if expect_rows is not None and rows != expect_rows:
        notes.append("WARNING: c42-transform alone wrote %d rows, the whole run delivered %d"
                     % (expect_rows, rows))
    left = p.queue_depth(queue)
    m.valid = m.status == 0 and left == 0 and expect_rows in (None, rows)
    return m, notes


def delivered_after(sink_counts, started):
    """Seconds from a run's start to the last post the sink accepted."""
    # Never 0, which a rate would divide by: a run that delivered nothing
    # is marked not valid anyway.
    return max(1e-3, sink_counts["last_post_at"] - started)


def delivered_note(m):
    return ("%s: last row delivered %.2f s after the start; the rest of its %.2f s is the "
            "last receive's long poll on the empty queue and the shutdown"
            % (m.name, m.delivered_wall, m.wall))


def python_baseline(p, manifest, workdir, records):
    """bench/python_baseline.py, the original design, over a fresh queue
    announcing every object once; returns (Measured, notes). It sends one
    row per line (it does not split long lines as c42-transform does), so
    the sink must receive exactly the data's records."""
    queue = p.announce(manifest)
    env = dict(p.env, SQS_QUEUE_URL=queue)
    out = os.path.join(workdir, "python-baseline.out")
    before_sink, before_cpu = p.sink.counts(), p.cpu()
    started = time.time()
    m = run_measured("python baseline (original)",
                     [sys.executable, os.path.join(ROOT, "bench", "python_baseline.py")],
                     stdout=out, env=env)
    after_sink, after_cpu = p.sink.counts(), p.cpu()
    rows = after_sink["rows"] - before_sink["rows"]
    m.delivered_wall = delivered_after(after_sink, started)
    left = p.queue_depth(queue)
    notes = ["peers' CPU in the Python run (not counted): moto %.2f s, sink %.2f s" % (
                 after_cpu["moto"] - before_cpu["moto"], after_cpu["sink"] - before_cpu["sink"]),
             "sink received %d rows in %d posts from the Python baseline (one per line; "
             "c42-ship splits lines over its field limit); messages left on the queue: %d" % (
                 rows, after_sink["requests"] - before_sink["requests"], left),
             delivered_note(m)]
    with open(out) as f:
        notes.append(" ".join(f.read().split()))
    if rows != records:
        notes.append("WARNING: the data has %d records, the Python baseline delivered %d"
                     % (records, rows))
    m.valid = m.status == 0 and left == 0 and rows == records
    return m, notes


def stages_alone(build, p, manifest, workdir):
    """Each tool on its own: s3-fetch from moto into a file, c42-transform
    from that file into another, la-post from that one to the sink.
    Returns ([Measured], rows c42-transform wrote, notes)."""
    fetched = os.path.join(workdir, "fetched.ndjson")
    rows_file = os.path.join(workdir, "rows.ndjson")
    refs = ["s3://%s/%s" % (BUCKET, o["key"]) for o in manifest["objects"]]
    runs = []
    cpu0 = p.cpu()
    runs.append(run_measured("s3-fetch (alone, from moto)",
                             [os.path.join(build, "s3-fetch"), "--skip-before", "none"] + refs,
                             stdout=fetched, env=p.env))
    moto_cpu = p.cpu()["moto"] - cpu0["moto"]
    runs.append(run_measured("c42-transform (alone, files)",
                             [os.path.join(build, "c42-transform")], stdin=fetched,
                             stdout=rows_file, env=p.env))
    with open(rows_file, "rb") as f:
        rows = sum(1 for line in f if not line.startswith(b'{"@c42"'))
    cpu1 = p.cpu()
    runs.append(run_measured("la-post (alone, file to sink)",
                             [os.path.join(build, "la-post")], stdin=rows_file, env=p.env))
    sink_cpu = p.cpu()["sink"] - cpu1["sink"]
    notes = ["stream files: %.1f MB of source records, %.1f MB of rows (%d rows)" % (
                 os.path.getsize(fetched) / 1e6, os.path.getsize(rows_file) / 1e6, rows),
             "peers' CPU alone (not counted): moto %.2f s serving s3-fetch, sink %.2f s for la-post"
             % (moto_cpu, sink_cpu)]
    os.remove(fetched)
    os.remove(rows_file)
    return runs, rows, notes


# --- printing ------------------------------------------------------------

HEADER = "%-32s %8s %7s %8s %11s %8s %9s %5s" % (
    "run", "CPU s", "x zcat", "wall s", "records/s", "MB/s", "RSS MB", "exit")


def row(m, t, zcat_cpu):
    return "%-32s %8.2f %7.2f %8.2f %11.0f %8.1f %9.1f %5d" % (
        m.name, m.cpu, m.cpu / zcat_cpu, m.wall, t["records"] / m.wall, t["raw"] / 1e6 / m.wall,
        m.rss_kib / 1024, m.status)


def describe(t, seed):
    return ("data: %d events in %d gzip objects (1 in %d without a final newline, %d lines of "
            "50-200 KB), %.1f MB of NDJSON, %.1f MB gzip'd; seed %d" % (
                t["records"], t["objects"], NO_NEWLINE_EVERY, t["long"], t["raw"] / 1e6,
                t["gzip"] / 1e6, seed))


def data_set(args, events, base):
    objects = args.objects or max(1, -(-events // EVENTS_PER_OBJECT))
    directory = os.path.join(base, "events-%d-objects-%d-seed-%d" % (events, objects, args.seed))
    return directory, generate(directory, events, objects, args.seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200000,
                        help="events in the data set (default 200000)")
    parser.add_argument("--objects", type=int,
                        help="gzip objects (default: one per %d events)" % EVENTS_PER_OBJECT)
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--data", help="keep generated data here and reuse it in later runs "
                        "(default: a temporary directory, removed at the end)")
    parser.add_argument("--no-python", action="store_true",
                        help="do not run the Python baseline (bench/python_baseline.py)")
    parser.add_argument("--scale", type=int, nargs="?", const=10, choices=[10, 100],
                        help="also run zcat and the whole pipeline at 10x the events "
                        "(--scale 100: at 10x and 100x; long, and needs disk)")
    args = parser.parse_args()
    build = os.environ.get("C42_BUILD_DIR", os.path.join(ROOT, "build"))
    workdir = tempfile.mkdtemp(prefix="c42-bench-")
    data_base = args.data or os.path.join(workdir, "data")
    try:
        data_dir, manifest = data_set(args, args.events, data_base)
        t = totals(manifest)
        p = Peers(workdir)
        try:
            p.upload(data_dir, manifest)
            refs, ref_notes = references(data_dir, manifest)
            alone, rows, stage_notes = stages_alone(build, p, manifest, workdir)
            whole, whole_notes = whole_pipeline(build, p, manifest, workdir, rows)
            if not args.no_python:
                python, python_notes = python_baseline(p, manifest, workdir, t["records"])
        finally:
            p.stop()
        zcat = refs[0].cpu
        print(describe(t, args.seed))
        print(HEADER)
        for m in refs + alone:
            print(row(m, t, zcat))
        summed = Measured("stages alone, summed", sum(m.cpu for m in alone),
                          sum(m.wall for m in alone), max(m.rss_kib for m in alone),
                          max(m.status for m in alone))
        print(row(summed, t, zcat))
        print(row(whole, t, zcat))
        if not args.no_python:
            print(row(python, t, zcat))
        for note in ref_notes + stage_notes + whole_notes + (
                [] if args.no_python else python_notes):
            print("  " + note)
        print("headline: whole pipeline %.2f CPU s = %.2f x zcat (%.2f s) on the same %d events%s"
              % (whole.cpu, whole.cpu / zcat, zcat, t["records"],
                 "" if whole.valid else " -- NOT VALID: the run did not deliver everything"))
        if not args.no_python:
            print("headline: records/s c42-ship %.0f = %.2f x the Python baseline (%.0f); "
                  "to the last row delivered: c42-ship %.0f = %.2f x (%.0f); "
                  "CPU: c42-ship %.2f s, Python %.2f s%s" % (
                      t["records"] / whole.wall, python.wall / whole.wall,
                      t["records"] / python.wall,
                      t["records"] / whole.delivered_wall,
                      python.delivered_wall / whole.delivered_wall,
                      t["records"] / python.delivered_wall, whole.cpu, python.cpu,
                      "" if whole.valid and python.valid
                      else " -- NOT VALID: a run did not deliver everything"))
        if args.scale:
            scale(args, build, data_base, workdir, (t, zcat, whole))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def scale(args, build, data_base, workdir, first):
    """zcat and the whole pipeline at 10x (and 100x) the events, each on a
    fresh moto; prints how CPU per record and records/s change."""
    results = [(1,) + first]
    for factor in [f for f in (10, 100) if f <= args.scale]:
        events = args.events * factor
        data_dir, manifest = data_set(args, events, data_base)
        t = totals(manifest)
        p = Peers(workdir)
        try:
            p.upload(data_dir, manifest)
            zcat = references(data_dir, manifest)[0][0].cpu
            whole, notes = whole_pipeline(build, p, manifest, workdir)
            for note in notes:
                print("  %dx: %s" % (factor, note))
        finally:
            p.stop()
        if not args.data:
            shutil.rmtree(data_dir, ignore_errors=True)
        results.append((factor, t, zcat, whole))
        if not whole.valid:
            print("scale %dx: the run did not deliver everything (exit %d)" % (factor, whole.status))
    print("scale: how the whole pipeline's cost grows with the events")
    # records/s over the whole run and up to the last row delivered: the
    # whole run ends with a long poll on the empty queue, the same 5 s at
    # every size.
    print("%-7s %10s %9s %10s %8s %12s %11s %13s %9s %5s" % (
        "factor", "events", "zcat s", "CPU s", "x zcat", "CPU us/rec", "records/s",
        "delivered/s", "RSS MB", "exit"))
    for factor, t, zcat, whole in results:
        print("%-7s %10d %9.2f %10.2f %8.2f %12.1f %11.0f %13.0f %9.1f %5d" % (
            "%dx" % factor, t["records"], zcat, whole.cpu, whole.cpu / zcat,
            whole.cpu / t["records"] * 1e6, t["records"] / whole.wall,
            t["records"] / whole.delivered_wall, whole.rss_kib / 1024, whole.status))


if __name__ == "__main__":
    sys.exit(main())
