"""The fault matrix: scripts/c42-ship (or its stages) against moto_server and
the Log Analytics stand-in while things go wrong. Every case asserts that no
source line is missing in the stand-in and that no message was deleted
before its data was accepted, and counts duplicates.

- KillTrials: kill -9 of a stage, or of the driver, at a random moment of a
  run, C42_FAULT_TRIALS times (default 20) from seed C42_FAULT_SEED
  (default: a random one, printed). Each trial publishes new objects, so
  every trial has work, and later trials also take what earlier kills left
  on the queue. The queue dead-letters a message at its third receive.
  After the trials the dead-letter queue is redriven and a final clean run
  must deliver every line.
- BadInput: corrupt and truncated gzip, invalid UTF-8, 1 MiB lines,
  malformed message bodies, an S3 test event, one object announced twice:
  each with the outcome the man pages document.
- BigObject: an object of 2 GiB uncompressed, generated and gzip'd on the fly,
  shipped by the five tools with the peak RSS of each recorded and held
  under the bound README.md documents.

Deletions are witnessed. The tools reach SQS through DeleteWitness, a proxy
in this process that forwards every request to moto and, when a deletion is
asked for and before moto sees it, checks that the stand-in's store holds
every line the message announced. So "deleted before delivered" fails the
test at the moment it would happen, not only as a line missing at the end.

Rows carry Record_Id (C42_ROW_ID=1), and the test checks that keeping one
row per (Record_Id, Part_Number), as c42-stream(7)'s KQL does, leaves every
line exactly once.

The last line on standard output sums up the run:
    faults: trials=N records=R lost=0 duplicates=D quarantined=Q peak_rss_mb={...}
records counts source lines published, duplicates the extra deliveries of
lines, quarantined the messages a dead-letter queue took.
"""

import base64
import collections
import gzip
import hashlib
import http.client
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from procs import alive, children_of, command_line, peak_rss_kib, proc_stat  # noqa: E402
from tools import SOURCE_DIR, finish_driver, start_driver, tool_path  # noqa: E402

STAGES = ["sqs-poll", "s3-fetch", "c42-transform", "la-post", "sqs-ack"]
TARGETS = STAGES + ["c42-ship"]
TRIALS = int(os.environ.get("C42_FAULT_TRIALS") or 20)
SEED = int(os.environ.get("C42_FAULT_SEED") or random.SystemRandom().randrange(1 << 32))
SANITIZED = bool(os.environ.get("C42_SANITIZE"))

# A kill trial's run: sqs-poll receives for BUDGET seconds, the rest may go
# on to HARD_LIMIT; the driver insists that received messages stay hidden
# for the hard limit plus its 10 s grace, so a killed run's messages come
# back that long after it began.
BUDGET = 1
HARD_LIMIT = 5
VISIBILITY = HARD_LIMIT + 10
MAX_RECEIVE_COUNT = 2
OBJECTS_PER_TRIAL = 5
LINES_PER_OBJECT = 400
# c42-transform's default longest field (--for-api data-collector).
PART_BYTES = 32000

SUMMARY = {"trials": 0, "records": 0, "lost": 0, "duplicates": 0, "quarantined": 0,
           "peak_rss_mb": {}}


def tearDownModule():
    peaks = ", ".join("%s: %d" % kv for kv in SUMMARY["peak_rss_mb"].items())
    print("faults: trials=%d records=%d lost=%d duplicates=%d quarantined=%d peak_rss_mb={%s}"
          % (SUMMARY["trials"], SUMMARY["records"], SUMMARY["lost"], SUMMARY["duplicates"],
             SUMMARY["quarantined"], peaks), flush=True)


def note(text):
    sys.stderr.write("faults: %s\n" % text)
    sys.stderr.flush()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    env.update(extra)
    return env


def original(row):
    """The bytes of the line a row (or a part of it) holds."""
    if "Raw_Data_Base64" in row:
        return base64.b64decode(row["Raw_Data_Base64"])
    return row["Raw_Data"].encode("utf-8")


def announced_keys(body):
    """The object keys a Code42 message body names (none for others)."""
    try:
        value = json.loads(body)
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    return [item["Object Key"] for item in items
            if isinstance(item, dict) and isinstance(item.get("Object Key"), str)]


class Delivered:
    """The stand-in's store, read as it grows: every row, whole lines and
    split parts, kept as the bytes of the line they came from."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.lock = threading.Lock()
        self.rows = 0
        self.rows_without_id = 0
        self.whole = collections.Counter()  # (Key, line) -> copies
        self.first_whole = {}  # Record_Id -> (Key, line) of its first copy
        self.split = {}  # Record_Id -> {"key", "count", "parts": {n: bytes}, "copies"}
        self.joined = set()  # (Key, line) of split lines with every part here

    def refresh(self):
        with self.lock:
            try:
                with open(self.path, "rb") as f:
                    f.seek(self.offset)
                    data = f.read()
            except FileNotFoundError:
                return
            end = data.rfind(b"\n") + 1
            self.offset += end
            for line in data[:end].splitlines():
                if line.strip():
                    self._add(json.loads(line)["record"])

    def _add(self, row):
        self.rows += 1
        rid = row.get("Record_Id")
        if rid is None:
            self.rows_without_id += 1
        if "Part_Number" not in row:
            line = (row["Key"], original(row))
            self.whole[line] += 1
            if rid is not None:
                self.first_whole.setdefault(rid, line)
            return
        entry = self.split.setdefault(rid, {"key": row["Key"], "count": row["Part_Count"],
                                            "parts": {}, "copies": collections.Counter()})
        entry["parts"].setdefault(row["Part_Number"], original(row))
        entry["copies"][row["Part_Number"]] += 1
        line = self._joined(entry)
        if line:
            self.joined.add(line)

    def has(self, key, line):
        """Whether the line arrived whole at least once."""
        with self.lock:
            return self.whole[(key, line)] > 0 or (key, line) in self.joined

    def _joined(self, entry):
        if len(entry["parts"]) != entry["count"]:
            return None
        return entry["key"], b"".join(entry["parts"][n] for n in sorted(entry["parts"]))

    def lines(self):
        """(Key, line) -> how many times the line arrived whole."""
        with self.lock:
            got = collections.Counter(self.whole)
            for entry in self.split.values():
                line = self._joined(entry)
                if line:
                    got[line] += min(entry["copies"].values())
        return got

    def duplicates(self):
        """Extra deliveries: a line whose rows arrived n times counts n - 1; a
        split line counts its most repeated part."""
        with self.lock:
            return (sum(n - 1 for n in self.whole.values())
                    + sum(max(e["copies"].values()) - 1 for e in self.split.values()))

    def deduplicated(self):
        """What c42-stream(7)'s KQL keeps, one row per (Record_Id, part),
        joined into lines: (Key, line) -> count, which should all be 1."""
        with self.lock:
            got = collections.Counter(self.first_whole.values())
            for entry in self.split.values():
                line = self._joined(entry)
                if line:
                    got[line] += 1
        return got


class DeleteWitness:
    """SQS as the tools see it: a proxy that forwards every request to moto
    as it came (SigV4 signs the Host header the tools sent, and it is passed
    on) and remembers the body of every message handed out. Before moto gets
    a deletion, `check(body)` is asked about each message to be deleted; a
    non-empty answer is a violation."""

    def __init__(self, upstream, check):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.check = check
        self.lock = threading.Lock()
        self.bodies = {}  # receipt handle -> body
        self.deleted = []  # bodies of the messages moto deleted, in order
        self.violations = []
        witness = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                witness.relay(self)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client killed mid-request is what these tests do

        self.server = Server(("127.0.0.1", 0), Handler)
        self.endpoint = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def relay(self, handler):
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        action = (handler.headers.get("X-Amz-Target") or "").rpartition(".")[2]
        handles = {}
        if action in ("DeleteMessage", "DeleteMessageBatch"):
            request = json.loads(body)
            for entry in request.get("Entries") or [request]:
                handles[entry.get("Id", "")] = entry["ReceiptHandle"]
            for handle in handles.values():
                with self.lock:
                    message = self.bodies.get(handle)
                problem = (self.check(message) if message is not None
                           else "a deletion with a receipt handle no receive gave out")
                if problem:
                    with self.lock:
                        self.violations.append(problem)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("expect", "connection")}
        conn = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            conn.request("POST", handler.path, body, headers)
            reply = conn.getresponse()
            data = reply.read()
        finally:
            conn.close()
        if reply.status == 200:
            with self.lock:
                if action == "ReceiveMessage":
                    for m in json.loads(data).get("Messages", []):
                        self.bodies[m["ReceiptHandle"]] = m["Body"]
                elif action == "DeleteMessageBatch":
                    for ok in json.loads(data).get("Successful", []):
                        self.deleted.append(self.bodies.get(handles[ok["Id"]]))
                elif action == "DeleteMessage":
                    self.deleted.append(self.bodies.get(handles[""]))
        handler.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection",
                                    "date", "server"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def deleted_keys(self):
        with self.lock:
            return collections.Counter(k for b in self.deleted if b for k in announced_keys(b))

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FaultCase(unittest.TestCase):
    """moto, the Log Analytics stand-in and a DeleteWitness, shared by the
    tests of a class; `published` maps each object key to its lines, as
    bytes, and the witness checks deletions against it."""

    DIGEST_OVER = 0

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="c42-faults-")
        cls.moto = cls.la = cls.witness = None
        try:
            cls.moto = peers.Moto(os.path.join(cls.workdir, "moto.log"))
            cls.la = peers.LogAnalytics(cls.workdir, digest_over=cls.DIGEST_OVER)
            cls.witness = DeleteWitness(cls.moto.endpoint, cls.undelivered_at_deletion)
        except Exception:
            cls.tearDownClass()
            raise
        cls.s3 = cls.moto.client("s3")
        cls.sqs = cls.moto.client("sqs")
        cls.delivered = Delivered(cls.la.store)
        cls.published = {}

    @classmethod
    def tearDownClass(cls):
        for peer in (cls.witness, cls.la, cls.moto):
            if peer:
                peer.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def undelivered_at_deletion(cls, body):
        """Why deleting the message with this body now would lose data, or ''."""
        keys = [k for k in announced_keys(body) if k in cls.published]
        if not keys:
            return ""
        cls.delivered.refresh()
        for key in keys:
            missing = sum(1 for line in cls.published[key] if not cls.delivered.has(key, line))
            if missing:
                return "%s deleted with %d of its %d lines not accepted" % (
                    key, missing, len(cls.published[key]))
        return ""

    def tool_env(self):
        """The tools' settings: SQS through the witness, S3 straight to moto."""
        env = dict(self.moto.tool_env(), AWS_ENDPOINT_URL_SQS=self.witness.endpoint)
        env.update(self.la.tool_env())
        return env

    def new_bucket(self):
        name = "c42-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=name)
        return name

    def new_queue(self, max_receive_count=0):
        """A queue, with a dead-letter queue taking messages at receive
        number max_receive_count + 1 when that is given; returns (url, dlq url)."""
        name = "c42-" + uuid.uuid4().hex[:10]
        if not max_receive_count:
            return self.sqs.create_queue(QueueName=name)["QueueUrl"], None
        dlq = self.sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        policy = {"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receive_count)}
        url = self.sqs.create_queue(QueueName=name, Attributes={
            "RedrivePolicy": json.dumps(policy)})["QueueUrl"]
        return url, dlq

    def put_object(self, bucket, key, lines, encoded=None):
        """Uploads lines (bytes) as a gzip'd object, unless `encoded` gives
        its bytes, and records them as published."""
        data = b"".join(line + b"\n" for line in lines)
        self.s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(data)
                           if encoded is None else encoded)
        type(self).published[key] = list(lines)
        SUMMARY["records"] += len(lines)

    def announce(self, queue, bucket, key, times=1):
        for _ in range(times):
            self.sqs.send_message(QueueUrl=queue, MessageBody=dataset.code42_body(bucket, key))

    def depth(self, queue):
        a = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def config(self, queue, **settings):
        values = {"SQS_QUEUE_URL": queue, "C42_BIN_DIR": os.path.dirname(tool_path("sqs-poll")),
                  "LA_LOG_TYPE": "Code42Faults", "C42_ROW_ID": "1"}
        values.update(settings)
        path = os.path.join(self.workdir, "c42-ship-%s.env" % uuid.uuid4().hex[:8])
        with open(path, "w") as f:
            f.write("".join("%s=%s\n" % kv for kv in values.items()))
        return path

    def start(self, queue, *args, **settings):
        return start_driver(self, ["--config", self.config(queue, **settings), "--json", *args],
                            clean_env(**self.tool_env()))

    def finish(self, proc, timeout=120):
        """(status, statistics or None, stderr) of a driver run."""
        status, _, err, stats = finish_driver(self, proc, timeout)
        return status, stats, err

    def ship(self, queue, *args, **settings):
        return self.finish(self.start(queue, "--budget", "2", *args, **settings))

    def assertDelivered(self, keys, copies=None):
        """Every line of every key arrived whole, byte for byte (exactly
        `copies` times when given); returns how many lines were missing."""
        self.delivered.refresh()
        got = self.delivered.lines()
        lost = [(key, line[:60]) for key in keys for line in self.published[key]
                if got[(key, line)] < 1]
        SUMMARY["lost"] += len(lost)
        self.assertEqual(lost, [], "lines missing in the stand-in")
        if copies is not None:
            wrong = [(key, line[:60], got[(key, line)]) for key in keys
                     for line in self.published[key] if got[(key, line)] != copies]
            self.assertEqual(wrong, [], "lines not delivered %d times" % copies)

    def assertWitnessed(self):
        self.assertEqual(self.witness.violations, [], "messages deleted before delivery")


class KillTrials(FaultCase):
    """kill -9 of each stage and of the driver, at random moments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A slow workspace, so that kills also land while chunks are in
        # flight and not only between them.
        cls.la.set_rules([{"delay": 0.1, "times": -1}])
        # How long each stage and the driver lived in the last run without
        # a kill, in seconds: what a random moment of a life is drawn from.
        cls.lifetimes = {}

    def pipeline_children(self, driver_pid, seen):
        """Adds the driver's running stages (not their --check-config runs)
        to seen, {pid: name}."""
        for pid, name in children_of(driver_pid).items():
            if pid in seen or name not in STAGES:
                continue
            args = command_line(pid)  # empty for a process gone or not yet exec'd
            if args and "--check-config" not in args:
                seen[pid] = name
        return seen

    def trial(self, number, target, rng, queue):
        """One run of the driver and, when `target` is given, one kill of it
        at a random moment of its life. Returns whether the kill landed (the
        target still ran)."""
        published = dataset.publish(self.s3, self.sqs, queue, self.bucket, OBJECTS_PER_TRIAL,
                                    seed=rng.randrange(1 << 31), lines_per_object=LINES_PER_OBJECT,
                                    long_every=50, prefix="trial-%03d/" % number)
        for key, lines in published.items():
            type(self).published[key] = [line.encode("utf-8") for line in lines]
            SUMMARY["records"] += len(lines)
        # When: uniformly within the target's life in the last run without a
        # kill (from when the pipeline starts, for the driver).
        after = rng.uniform(0, self.lifetimes[target]) if target else 0
        proc = self.start(queue, "--budget", str(BUDGET), "--hard-limit", str(HARD_LIMIT),
                          C42_VISIBILITY_TIMEOUT=str(VISIBILITY))
        seen, first, last, landed = {}, {}, {}, None
        deadline = time.time() + HARD_LIMIT + 20
        while proc.poll() is None and time.time() < deadline:
            now = time.time()
            for pid, name in self.pipeline_children(proc.pid, seen).items():
                first.setdefault(pid, now)
                if alive(pid):
                    last[pid] = now
            if seen:
                first.setdefault(proc.pid, min(first.values()))
                last[proc.pid] = now
            victims = [proc.pid] if target == "c42-ship" and seen else \
                [pid for pid, name in seen.items() if name == target]
            for pid in victims:
                if landed is None and now - first[pid] >= after:
                    # Only a process of this run that still runs: a stage
                    # still the driver's child, or the driver itself.
                    st = proc_stat(pid)
                    landed = bool(st and st[0] not in "ZX"
                                  and (pid == proc.pid or st[1] == proc.pid))
                    if landed:
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
        status, stats, err = self.finish(proc, timeout=HARD_LIMIT + 40)
        if status == -signal.SIGKILL:
            self.assertEqual((target, landed), ("c42-ship", True))
        elif status == 137:
            self.assertTrue(landed)
            self.assertIn("c42-ship: error: %s was killed by signal KILL" % target, err)
        else:
            # A process already on its way out (exiting, not yet a zombie)
            # keeps its own status: the kill came too late. With much left
            # by earlier kills, a run may also stop at its hard limit (124).
            self.assertIn(status, (0, 1, 124), err)
            landed = False
        if not target:  # a whole run: how long each stage lived
            seen[proc.pid] = "c42-ship"
            for pid, name in seen.items():
                self.lifetimes[name] = last.get(pid, first[pid]) - first[pid]
            del seen[proc.pid]
        if target:
            note("run %d: kill -9 %s %.2f s into its life: %s; exit %s" % (
                number, target, after, "landed" if landed else "it had ended", status))
        else:
            note("run %d: no kill; exit %s; lives %s" % (number, status, ", ".join(
                "%s %.2f s" % kv for kv in sorted(self.lifetimes.items()))))
        # No stage outlives its run; a killed driver's stages end with it.
        until = time.time() + 5
        while any(alive(pid) for pid in seen) and time.time() < until:
            time.sleep(0.05)
        self.assertEqual({pid: name for pid, name in seen.items() if alive(pid)}, {},
                         "stages outlived the run")
        self.assertWitnessed()
        return bool(landed)

    def test_kill_9_at_random_moments_loses_nothing(self):
        rng = random.Random(SEED)
        note("kill trials: %d, seed %d (rerun them with C42_FAULT_SEED=%d)" % (TRIALS, SEED, SEED))
        queue, dlq = self.new_queue(MAX_RECEIVE_COUNT)
        type(self).bucket = self.new_bucket()
        # Every target as often as the others, in a random order.
        order = list(itertools.chain.from_iterable(
            rng.sample(TARGETS, len(TARGETS)) for _ in range(-(-TRIALS // len(TARGETS)))))
        landed = collections.Counter()
        # A run without a kill before each round of kills, as most runs are
        # in production: it measures the lives the kill moments are drawn
        # from, and ships what the kills of the round before left behind.
        runs = itertools.count()
        for number, target in enumerate(order[:TRIALS]):
            if number % len(TARGETS) == 0:
                self.trial(next(runs), None, rng, queue)
            landed[target] += self.trial(next(runs), target, rng, queue)
            SUMMARY["trials"] += 1
        note("kills that landed: %s" % dict(landed))

        # What the kills left hidden comes back after the visibility timeout.
        until = time.time() + VISIBILITY + 10
        while self.depth(queue)[1] and time.time() < until:
            time.sleep(0.5)
        self.assertEqual(self.depth(queue)[1], 0, "messages still hidden")
        quarantined = self.redrive(dlq, queue)
        SUMMARY["quarantined"] += quarantined
        # A message that reached the threshold in the trials would be
        # dead-lettered again at its next receive: the final run is the
        # clean-up after the redrive, so the threshold is raised first.
        arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": arn, "maxReceiveCount": "1000"})})
        # A budget that leaves time to receive everything: sqs-poll waits
        # while s3-fetch is busy, and stops receiving at the budget.
        status, stats, err = self.finish(self.start(queue, "--budget", "120"), timeout=240)
        self.assertEqual(status, 0, err)
        self.assertEqual(stats["messages_kept"], 0, stats)
        self.assertEqual(self.depth(queue), (0, 0))
        self.assertEqual(self.depth(dlq), (0, 0))

        keys = list(self.published)
        duplicates = self.delivered.duplicates()
        SUMMARY["duplicates"] += duplicates
        self.assertDelivered(keys)
        self.assertWitnessed()
        self.assertEqual(sorted(self.witness.deleted_keys().items()), [(k, 1) for k in sorted(keys)])
        self.assertEqual(self.delivered.rows_without_id, 0, "C42_ROW_ID=1 gives every row an id")
        expected = collections.Counter((k, line) for k in keys for line in self.published[k])
        self.assertEqual(self.delivered.deduplicated(), expected)
        note("kill trials: %d lines, %d duplicate deliveries, %d dead-lettered and redriven"
             % (sum(expected.values()), duplicates, quarantined))
        # Most kills must have come while the run still worked, or this
        # test would prove little.
        self.assertGreaterEqual(sum(landed.values()), TRIALS // 2, dict(landed))

    def redrive(self, dlq, queue):
        """Moves every message of the dead-letter queue back (moto has no
        StartMessageMoveTask): receive, send again, delete. Returns how many."""
        moved = 0
        while True:
            got = self.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0, VisibilityTimeout=60)
            messages = got.get("Messages", [])
            if not messages:
                return moved
            for m in messages:
                self.sqs.send_message(QueueUrl=queue, MessageBody=m["Body"])
                self.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
                moved += 1


class BadInput(FaultCase):
    """Bad objects and bad messages: each has a documented outcome, and the
    good messages of the same run are shipped whatever the bad ones do."""

    def setUp(self):
        self.bucket = self.new_bucket()
        self.queue, self.dlq = self.new_queue(max_receive_count=1)
        # A good object in every run: the bad ones must not hold it back.
        self.good = "good-%s.json.gz" % uuid.uuid4().hex[:8]
        self.put_object(self.bucket, self.good,
                        [('{"good":%d,"text":"caf\u00e9"}' % i).encode("utf-8") for i in range(50)])
        self.announce(self.queue, self.bucket, self.good)

    def tearDown(self):
        self.assertWitnessed()

    def assertKept(self, keys):
        deleted = self.witness.deleted_keys()
        self.assertEqual([k for k in keys if deleted[k]], [], "deleted, yet it failed")

    def test_corrupt_and_truncated_gzip_keep_their_messages(self):
        lines = [('{"n":%d,"pad":"%s"}' % (i, "x" * (i % 300))).encode() for i in range(3000)]
        whole = gzip.compress(b"".join(line + b"\n" for line in lines))
        garbage = random.Random(7).randbytes(4096)
        flipped = bytearray(whole)
        flipped[len(whole) // 2] ^= 0xFF
        bad = {"corrupt.json.gz": whole[:10] + garbage,  # a gzip header, then noise
               "flipped.json.gz": bytes(flipped),  # one byte wrong mid-stream
               "truncated.json.gz": whole[:len(whole) // 2]}  # ends inside the member
        for key, data in bad.items():
            self.put_object(self.bucket, key, lines, encoded=data)
            self.announce(self.queue, self.bucket, key)
        status, stats, err = self.ship(self.queue)
        # s3-fetch(1): the object fails, its message is kept (exit 1), one
        # error line names it; the run goes on.
        self.assertEqual(status, 1, err)
        self.assertEqual((stats["messages_deleted"], stats["messages_kept"]), (1, 3), stats)
        self.assertEqual((stats["objects_fetched"], stats["objects_failed"]), (1, 3), stats)
        for key in bad:
            errors = [l for l in err.splitlines() if key in l]
            self.assertEqual(len(errors), 1, err)
            self.assertTrue(errors[0].startswith("s3-fetch: error: "), errors[0])
        self.assertKept(list(bad))
        self.assertDelivered([self.good], copies=1)
        # Lines read before the damage was found may have been shipped. Cut
        # off or noise from the start, each is a line of the object (a cut
        # last line is not shipped). But gzip's checksum comes at the end of
        # the member: data damaged mid-stream decodes into lines the object
        # never held, shipped before the damage shows (c42-stream(7) says
        # so). The message stays, so nothing is lost.
        self.delivered.refresh()
        for key in bad:
            arrived = {line for (k, line) in self.delivered.lines() if k == key}
            foreign = arrived - set(lines)
            note("%s: %d lines shipped before the damage was found, %d of them not the "
                 "object's" % (key, len(arrived), len(foreign)))
            if key != "flipped.json.gz":
                self.assertEqual(foreign, set(), key)

    def test_invalid_utf8_arrives_losslessly(self):
        key = "invalid-utf8.json.gz"
        lines = [b'{"user":"caf\xe9"}',  # Latin-1
                 b'{"bad":"\xff\xfe"}',
                 b'{"overlong":"\xc0\xaf"}',
                 b'{"surrogate":"\xed\xa0\x80"}',
                 b'{"cut":"\xe2\x82"}',
                 b'\x80 lone continuation',
                 b'{"fine":"\xe2\x82\xac"}']
        # Delivered compares the bytes Raw_Data_Base64 gives (Raw_Data only
        # when it is absent), so this is the byte-exact check.
        self.assertShippedWhole(key, lines)

    def assertShippedWhole(self, key, lines):
        """An object of these lines is delivered once, byte for byte, with
        the good one, and both messages are deleted: exit 0."""
        self.put_object(self.bucket, key, lines)
        self.announce(self.queue, self.bucket, key)
        status, stats, err = self.ship(self.queue)
        self.assertEqual(status, 0, err)
        self.assertEqual(stats["messages_deleted"], 2, stats)
        self.assertDelivered([key, self.good], copies=1)

    def test_one_mib_lines_arrive_whole(self):
        key = "long-lines.json.gz"
        unit = "\u20ac\U0001F600ab".encode("utf-8")  # 3 + 4 + 2 bytes: cuts must fall between

        def line_of(n):  # exactly 1 MiB, valid UTF-8, characters aligned differently
            head = b'{"n":%d,"v":"' % n
            text = head + unit * (((1 << 20) - len(head) - 2 - n) // len(unit))
            return text + b"x" * ((1 << 20) - 2 - len(text)) + b'"}'

        lines = [line_of(n) for n in range(4)]
        lines.append(b"\xff" + lines[0][1:])  # 1 MiB that is not UTF-8
        self.assertTrue(all(len(line) == 1 << 20 for line in lines))
        self.assertShippedWhole(key, lines)

    def test_malformed_bodies_stay_until_the_dead_letter_queue_takes_them(self):
        bodies = ["not json at all",
                  '{"Bucket Name": "%s"}' % self.bucket,  # no key
                  "[]",
                  '{"Records": [{"eventName": "ObjectCreated:Put"}]}',  # no s3 member
                  '{"Type": "Notification", "Message": "{not json"}']
        for body in bodies:
            self.sqs.send_message(QueueUrl=self.queue, MessageBody=body)
        # Released (C42_RELEASE=1), so they are visible again at once.
        status, stats, err = self.ship(self.queue, C42_RELEASE="1")
        # s3-fetch(1): an unreadable body gets an end line that is not ok
        # and one error line; the message is kept (here released): exit 1.
        self.assertEqual(status, 1, err)
        self.assertEqual(stats["messages_deleted"], 1, stats)
        self.assertEqual(len([l for l in err.splitlines() if l.startswith("s3-fetch: error: ")]),
                         len(bodies), err)
        self.assertDelivered([self.good], copies=1)
        self.assertEqual([b for b in self.witness.deleted if b in bodies], [])
        # The redrive policy (maxReceiveCount 1) dead-letters each at its
        # next receive, in this run or the next: they block nothing.
        status, stats, err = self.ship(self.queue, C42_RELEASE="1")
        self.assertEqual((status, stats["messages_received"]), (0, 0), err)
        self.assertEqual(self.depth(self.queue), (0, 0))
        self.assertEqual(self.depth(self.dlq), (len(bodies), 0))
        self.assertEqual([b for b in self.witness.deleted if b in bodies], [])
        SUMMARY["quarantined"] += len(bodies)

    def test_an_s3_test_event_is_deleted_and_ships_nothing(self):
        with open(os.path.join(SOURCE_DIR, "tests", "data", "announcement",
                               "s3_test_event.json")) as f:
            self.sqs.send_message(QueueUrl=self.queue, MessageBody=f.read())
        self.delivered.refresh()
        rows_before = self.delivered.rows
        status, stats, err = self.ship(self.queue)
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        self.assertEqual((stats["messages_received"], stats["messages_deleted"]), (2, 2), stats)
        self.assertDelivered([self.good], copies=1)
        self.delivered.refresh()
        self.assertEqual(self.delivered.rows - rows_before, 50)
        self.assertEqual(self.depth(self.queue), (0, 0))

    def test_one_object_announced_twice_is_shipped_twice_with_the_same_ids(self):
        key = "twice.json.gz"
        lines = [('{"n":%d}' % i).encode() for i in range(200)]
        lines.append(('{"long":"%s"}' % ("z" * 70000)).encode())  # split into parts
        self.put_object(self.bucket, key, lines)
        self.announce(self.queue, self.bucket, key, times=2)
        status, stats, err = self.ship(self.queue)
        self.assertEqual(status, 0, err)
        self.assertEqual(stats["messages_deleted"], 3, stats)
        self.assertEqual(self.witness.deleted_keys()[key], 2)
        self.assertDelivered([key], copies=2)
        SUMMARY["duplicates"] += len(lines)
        # Both copies carry the same ids: the KQL of c42-stream(7) keeps one.
        self.delivered.refresh()
        kept = self.delivered.deduplicated()
        self.assertEqual([kept[(key, line)] for line in lines], [1] * len(lines))


# The big object: 2048 lines of 1 MiB (newline included), 2 GiB in all. Each
# line carries its number every 16 KiB, so no two lines share a part of
# 32000 bytes (c42-transform's default) and a part delivered for the wrong
# line would not match.
BIG_LINES = 2048
BIG_LINE_BYTES = 1 << 20
BIG_BLOCK = 16 << 10
BIG_FILLER = bytes(range(0x41, 0x5b)) * (BIG_BLOCK // 26 + 1)
# Peak RSS each tool may reach shipping it, in MiB: the bounds README.md
# documents (see "Bounded memory"), which hold whatever the object's size.
RSS_BOUND_MIB = {"sqs-poll": 32, "s3-fetch": 64, "c42-transform": 32, "la-post": 64,
                 "sqs-ack": 32}


def big_line(n):
    """Line n of the big object, without its newline (1 MiB - 1 bytes)."""
    blocks = [b"%07d:%03d " % (n, j) + BIG_FILLER[:BIG_BLOCK - 12]
              for j in range(BIG_LINE_BYTES // BIG_BLOCK)]
    return b"".join(blocks)[:BIG_LINE_BYTES - 1]


@unittest.skipIf(SANITIZED, "under AddressSanitizer memory is not the tools' own")
class BigObject(FaultCase):
    """An object of 2 GiB uncompressed through the five tools, its peak RSS
    recorded per tool. The stand-in stores every long value as its SHA-256
    (--digest-over), so 2 GiB are checked without being kept anywhere."""

    DIGEST_OVER = 1024

    @classmethod
    def undelivered_at_deletion(cls, body):
        if cls.expected_parts is None or "big.json.gz" not in announced_keys(body):
            return ""
        missing = cls.missing_parts()
        return "%d parts of big.json.gz missing at its deletion" % missing if missing else ""

    @classmethod
    def setUpClass(cls):
        cls.expected_parts = None
        super().setUpClass()

    @classmethod
    def stored_parts(cls):
        """(Record_Id, Part_Number) -> [digests stored], from the store."""
        stored = collections.defaultdict(list)
        with open(cls.la.store, "rb") as f:
            for line in f:
                row = json.loads(line)["record"]
                stored[(row["Record_Id"], row.get("Part_Number", 1))].append(
                    row["Raw_Data"]["sha256"])
        return stored

    @classmethod
    def missing_parts(cls):
        stored = cls.stored_parts()
        return sum(1 for part, digest in cls.expected_parts.items()
                   if digest not in stored.get(part, []))

    def upload(self, bucket, key):
        """Generates the object, gzips it as it goes and uploads the gzip
        (about 1 % of the size); returns {(Record_Id, part): sha256}
        without etag, computed on the way."""
        squeeze = zlib.compressobj(1, zlib.DEFLATED, 31)
        compressed, digests = [], []
        for n in range(BIG_LINES):
            line = big_line(n)
            compressed.append(squeeze.compress(line + b"\n"))
            digests.append([hashlib.sha256(line[i:i + PART_BYTES]).hexdigest()
                            for i in range(0, len(line), PART_BYTES)])
        compressed.append(squeeze.flush())
        data = b"".join(compressed)
        etag = self.s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"]
        nul = b"\0"
        expected = {}
        for n, parts in enumerate(digests):
            rid = hashlib.sha256(nul.join([bucket.encode(), key.encode(), etag.encode(),
                                           b"%d" % (n + 1)])).hexdigest()[:32]
            for number, digest in enumerate(parts, 1):
                expected[(rid, number)] = digest
        return expected, len(data)

    def test_two_gib_object_streams_in_bounded_memory(self):
        bucket, key = self.new_bucket(), "big.json.gz"
        queue, _ = self.new_queue()
        started = time.time()
        expected, gzip_bytes = self.upload(bucket, key)
        note("big object: %d lines, %d bytes, %d bytes gzip'd, generated in %.0f s"
             % (BIG_LINES, BIG_LINES * BIG_LINE_BYTES, gzip_bytes, time.time() - started))
        type(self).expected_parts = expected
        SUMMARY["records"] += BIG_LINES
        self.announce(queue, bucket, key)

        env = clean_env(**self.tool_env())
        commands = [["sqs-poll", "--queue-url", queue, "--until-empty", "--wait", "0",
                     "--visibility-timeout", "900"],
                    ["s3-fetch"], ["c42-transform", "--row-id"],
                    ["la-post", "--log-type", "Code42Big"], ["sqs-ack"]]
        procs, errs = [], []
        for command in commands:
            err = open(os.path.join(self.workdir, command[0] + ".err"), "w+b")
            procs.append(subprocess.Popen(
                [tool_path(command[0])] + command[1:], env=env, stderr=err,
                stdin=procs[-1].stdout if procs else subprocess.DEVNULL, stdout=subprocess.PIPE))
            if len(procs) > 1:
                procs[-2].stdout.close()  # the next stage holds it now
            errs.append(err)
        started = time.time()
        peaks = {command[0]: 0 for command in commands}
        try:
            # VmHWM only grows; sampled until each tool exits.
            while any(p.poll() is None for p in procs) and time.time() < started + 600:
                for command, p in zip(commands, procs):
                    peaks[command[0]] = max(peaks[command[0]], peak_rss_kib(p.pid))
                time.sleep(0.02)
            results = procs[-1].stdout.read().decode()
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
            procs[-1].stdout.close()
        wall = time.time() - started
        statuses = [p.returncode for p in procs]
        said = ""
        for err in errs:
            err.seek(0)
            said += err.read().decode("utf-8", "replace")
            err.close()
        SUMMARY["peak_rss_mb"].update({name: -(-kib // 1024) for name, kib in peaks.items()})
        note("big object shipped in %.0f s; peak RSS KiB %s" % (wall, peaks))
        self.assertEqual(statuses, [0] * 5, said)
        outcomes = [json.loads(l) for l in results.splitlines()]
        self.assertEqual([o["action"] for o in outcomes if o["@c42"] == "result"], ["deleted"])
        missing = self.missing_parts()
        SUMMARY["lost"] += missing
        self.assertEqual(missing, 0, "parts missing or different")
        stored = self.stored_parts()
        SUMMARY["duplicates"] += sum(len(d) - 1 for d in stored.values())
        self.assertEqual(len(stored), len(expected), "rows that belong to no line")
        self.assertWitnessed()
        for name, bound in RSS_BOUND_MIB.items():
            self.assertLess(peaks[name], bound * 1024, "%s peaked over %d MiB" % (name, bound))

if __name__ == "__main__":
    unittest.main()
