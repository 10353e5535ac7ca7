"""Integration tests for la-post (and c42-transform | la-post) against the
strict Log Analytics Data Collector stand-in (tests/standins/la_standin.py).

Run by CTest as `python3 -m unittest -v test_la_post` in tests/integration
with C42_BIN_DIR (the CMake build directory) and C42_SOURCE_DIR (the
repository root). Every test starts its own stand-in on 127.0.0.1 with a
fresh workspace, key and store, and stops it by PID afterwards.
"""

import base64
import datetime
import email.utils
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "harness"))

from peers import LogAnalytics  # noqa: E402

BIN_DIR = os.environ.get("C42_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
LA_POST = os.path.join(BIN_DIR, "la-post")
TRANSFORM = os.path.join(BIN_DIR, "c42-transform")

# Exit statuses (common/exit_codes.h).
EXIT_OK = 0
EXIT_PARTIAL = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_CONFIG = 4
EXIT_SERVICE = 5

QUEUE_URL = "http://127.0.0.1:1/000000000000/c42-events"
TOOL_TIMEOUT = 60


# --- stream helpers ---------------------------------------------------------

def ref(mid):
    return {"queue_url": QUEUE_URL, "message_id": mid, "receipt_handle": "rh-" + mid}


def begin_line(mid):
    v = {"@c42": "begin"}
    v.update(ref(mid))
    return json.dumps(v, separators=(",", ":"))


def end_line(mid, records, ok=True, error=None, fetched=1):
    v = {"@c42": "end"}
    v.update(ref(mid))
    v.update({"ok": ok, "fetched": fetched, "skipped": 0, "failed": 0 if ok else 1,
              "records": records})
    if error:
        v["error"] = error
    return json.dumps(v, separators=(",", ":"))


def deadline_in(seconds):
    """A --deadline `seconds` from now, as c42-ship writes one."""
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def record_line(**fields):
    return json.dumps(fields, separators=(",", ":"))


def message_lines(mid, records):
    """begin, the records, end for one message."""
    return [begin_line(mid)] + list(records) + [end_line(mid, len(records))]


def encode(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def ends_by_id(controls):
    return {c["message_id"]: c for c in controls if c.get("@c42") == "end"}


class Run:
    def __init__(self, proc, out, err, elapsed):
        self.rc = proc.returncode
        self.stdout = out
        self.stderr = err.decode("utf-8", "replace")
        self.elapsed = elapsed
        self.lines = [line for line in out.decode("utf-8").split("\n") if line]
        self.controls = [json.loads(line) for line in self.lines]

    @property
    def stats(self):
        return self.controls[-1] if self.controls else None

    def ends(self):
        return [c for c in self.controls if c.get("@c42") == "end"]

    def describe(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (
            self.rc, self.stdout.decode("utf-8", "replace")[:4000], self.stderr[:4000])


# --- base case --------------------------------------------------------------

class LaPostCase(unittest.TestCase):
    """Starts a fresh stand-in per test."""

    def setUp(self):
        for exe in (LA_POST, TRANSFORM):
            if not os.access(exe, os.X_OK):
                self.fail("%s not built (set C42_BIN_DIR to the CMake build dir)" % exe)
        self.workdir = tempfile.mkdtemp(prefix="test_la_post.")
        self.la = LogAnalytics(self.workdir)
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.addCleanup(self.la.stop)  # runs before rmtree (LIFO)

    def env(self, extra=None, remove=()):
        env = dict(os.environ)
        for name in ("LA_WORKSPACE_ID", "LA_SHARED_KEY", "LA_ENDPOINT", "LA_LOG_TYPE"):
            env.pop(name, None)
        env.update(self.la.tool_env())
        env.update(extra or {})
        for name in remove:
            env.pop(name, None)
        return env

    def la_post(self, args, data, env=None, timeout=TOOL_TIMEOUT):
        started = time.time()
        start = time.monotonic()
        proc = subprocess.Popen([LA_POST] + list(args), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env or self.env())
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            self.fail("la-post did not finish within %d s" % timeout)
        run = Run(proc, out, err, time.monotonic() - start)
        run.started = started
        return run

    def transform_then_post(self, transform_args, post_args, data, timeout=TOOL_TIMEOUT):
        """c42-transform ARGS | la-post ARGS, with both exit statuses."""
        start = time.monotonic()
        t = subprocess.Popen([TRANSFORM] + list(transform_args), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        p = subprocess.Popen([LA_POST] + list(post_args), stdin=t.stdout,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        t.stdout.close()
        try:
            t.stdin.write(data)
            t.stdin.close()
            out, err = p.communicate(timeout=timeout)
            t_err = t.stderr.read()
            t.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for proc in (t, p):
                proc.kill()
                proc.wait()
            self.fail("pipeline did not finish within %d s" % timeout)
        finally:
            t.stderr.close()
        run = Run(p, out, err, time.monotonic() - start)
        run.transform_rc = t.returncode
        run.transform_stderr = t_err.decode("utf-8", "replace")
        return run

    def store_entries(self):
        """The stand-in store: every accepted record with its post number."""
        entries = []
        if os.path.exists(self.la.store):
            with open(self.la.store, "rb") as f:
                for raw in f.read().split(b"\n"):
                    if raw.strip():
                        entries.append(json.loads(raw.decode("utf-8")))
        return entries

    def stored_records(self):
        return [e["record"] for e in self.store_entries()]

    def assert_stats_line(self, run, **expected):
        stats = run.stats
        self.assertIsNotNone(stats, run.describe())
        self.assertEqual(stats.get("@c42"), "stats", run.describe())
        self.assertEqual(stats.get("tool"), "la-post", run.describe())
        for name, value in expected.items():
            self.assertEqual(stats.get(name), value, "%s in %s" % (name, stats))

    def assert_no_secrets(self, *texts):
        for text in texts:
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            self.assertNotIn(self.la.shared_key, text)
            self.assertNotIn("SharedKey", text)


# --- 1. plain records -------------------------------------------------------

TRICKY = [
    'quote " and backslash \\ and slash /',
    "line\u2028separator and paragraph\u2029separator",
    "nul \u0000 inside, bell \u0007, tab \t, newline \n, cr \r",
    "non-ASCII: \u00e9\u00e8 \u4e2d\u6587 \u0416 \U0001F600 \u20ac",
    "\\u0041 is not an escape here",
    "",
    "}\",{\"injected\":1}",
]


def tricky_records(count, marker=""):
    """(lines, parsed): records as JSON text with varied but valid encodings."""
    lines, parsed = [], []
    for i in range(count):
        value = {
            "id": i,
            "marker": marker,
            "text": TRICKY[i % len(TRICKY)] + " #%d" % i,
            "nested": {"a": [1, -2, 3.5, True, False, None], "s": TRICKY[(i + 3) % len(TRICKY)]},
            "\u00fcnicode_key": "\u2028" * (i % 3),
            "big": 9007199254740993 + i,
        }
        style = i % 3
        if style == 0:
            line = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif style == 1:
            line = json.dumps(value, ensure_ascii=True)  # \uXXXX escapes, spaces
        else:
            # Non-canonical spacing: a re-serialising poster would change it.
            line = json.dumps(value, ensure_ascii=False, separators=(" , ", " : "))
        lines.append(line)
        parsed.append(value)
    return lines, parsed


def canonical(value):
    return json.dumps(value, sort_keys=False, ensure_ascii=True, separators=(",", ":"))


class PlainRecordsTest(LaPostCase):

    def test_records_arrive_exactly_in_chunks_of_at_most_500(self):
        lines, parsed = tricky_records(1200)
        data = encode(lines)
        run = self.la_post(["--log-type", "Foo", "--chunk-records", "500"], data)
        self.assertEqual(run.rc, EXIT_OK, run.describe())

        # Records are not echoed: the only output is the closing stats line.
        self.assertEqual(len(run.lines), 1, run.describe())
        self.assert_stats_line(run, records_posted=1200, records_failed=0, chunks_posted=3,
                               chunks_failed=0)

        entries = self.store_entries()
        got = sorted(canonical(e["record"]) for e in entries)
        want = sorted(canonical(v) for v in parsed)
        self.assertEqual(len(got), 1200)
        self.assertEqual(got, want)  # same records, same member order, no duplicates
        self.assertTrue(all(e["log_type"] == "Foo" for e in entries))
        self.assertTrue(all(e["time_generated_field"] is None for e in entries))

        per_post = {}
        for e in entries:
            per_post[e["post"]] = per_post.get(e["post"], 0) + 1
        self.assertEqual(sorted(per_post.values()), [200, 500, 500])

        # Byte-exact bodies: each post is "[" + lines joined by "," + "]", so
        # the bytes the stand-in accepted are the input lines' bytes plus one
        # byte per record and one per post. A poster that re-serialised the
        # records (escapes, spacing) would change this number.
        stats = self.la.stats()
        self.assertEqual(stats["posts_accepted"], 3)
        self.assertEqual(stats["records_accepted"], 1200)
        self.assertEqual(stats["by_status"], {"200": 3})
        line_bytes = sum(len(line.encode("utf-8")) for line in lines)
        self.assertEqual(stats["bytes_accepted"], line_bytes + 1200 + 3)
        self.assertEqual(stats["by_log_type"], {"Foo": 1200})

    def test_chunk_bytes_bounds_every_body(self):
        lines, parsed = tricky_records(60)
        run = self.la_post(["--log-type", "Foo", "--chunk-bytes", "2048"], encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        by_post = {}
        for e in self.store_entries():
            by_post.setdefault(e["post"], []).append(e["record"])
        sizes = {}
        remaining = {canonical(v): len(l.encode("utf-8")) for l, v in zip(lines, parsed)}
        for post, records in by_post.items():
            sizes[post] = sum(remaining[canonical(r)] for r in records) + len(records) + 1
        self.assertGreater(len(sizes), 1)
        self.assertLessEqual(max(sizes.values()), 2048, sizes)
        self.assertEqual(sum(len(r) for r in by_post.values()), 60)
        self.assertEqual(self.la.stats()["bytes_accepted"], sum(sizes.values()))


# --- 2. spans ---------------------------------------------------------------

class SpanTest(LaPostCase):

    def test_ends_reemitted_in_order_and_other_control_lines_pass_through(self):
        note1 = '{"@c42":"note","x":1}'
        note2 = '{"@c42" : "note", "x" : [1, "two"], "y": "\u00e9"}'
        upstream_stats = '{"@c42":"stats","tool":"s3-fetch","objects":3}'
        counts = {"m1": 3, "m2": 5, "m3": 1}
        lines = [note1]
        for mid, n in counts.items():
            lines += message_lines(mid, [record_line(msg=mid, i=i) for i in range(n)])
            if mid == "m1":
                lines.append(note2)
        lines.append(upstream_stats)
        run = self.la_post(["--log-type", "Foo"], encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())

        input_controls = [l for l in lines if l.startswith('{"@c42"')]
        self.assertEqual(len(run.lines), len(input_controls) + 1, run.describe())
        for got, sent in zip(run.lines, input_controls):
            kind = json.loads(sent)["@c42"]
            if kind == "end":
                g, s = json.loads(got), json.loads(sent)
                self.assertEqual(g["@c42"], "end")
                for name in ("queue_url", "message_id", "receipt_handle", "fetched",
                             "skipped", "failed", "records"):
                    self.assertEqual(g[name], s[name], name)
                self.assertIs(g["ok"], True, got)
                self.assertEqual(g["delivered"], counts[g["message_id"]], got)
                self.assertNotIn("error", g)
            else:
                # begin, note and upstream stats lines go through byte for byte
                self.assertEqual(got, sent)
        self.assert_stats_line(run, records_posted=9, records_failed=0)
        self.assertEqual(len(self.stored_records()), 9)

    def test_upstream_failure_stays_not_ok(self):
        lines = message_lines("ok1", [record_line(i=1)])
        lines += [begin_line("bad"), record_line(i=2),
                  end_line("bad", 1, ok=False, error="s3: object gone")]
        run = self.la_post(["--log-type", "Foo"], encode(lines))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = ends_by_id(run.controls)
        self.assertIs(ends["ok1"]["ok"], True)
        self.assertIs(ends["bad"]["ok"], False)
        self.assertEqual(ends["bad"]["error"], "s3: object gone")
        self.assertEqual(ends["bad"]["delivered"], 1)  # its record was delivered

    def test_end_without_begin_is_not_ok(self):
        lines = [record_line(i=1), end_line("orphan", 1)]
        run = self.la_post(["--log-type", "Foo"], encode(lines))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        end = ends_by_id(run.controls)["orphan"]
        self.assertIs(end["ok"], False)
        self.assertEqual(end["delivered"], 0)
        self.assertIn("without a begin", end["error"])


# --- 3. permanent failures --------------------------------------------------

class PermanentFailureTest(LaPostCase):

    def three_messages(self, marker):
        lines = []
        for mid in ("A", "B", "C"):
            recs = [record_line(msg=mid, i=i) for i in range(5)]
            if mid == "B":
                recs[2] = record_line(msg=mid, i=2, tag=marker)
            lines += message_lines(mid, recs)
        return lines

    def check_b_failed(self, run, error_fragments):
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = run.ends()
        self.assertEqual([e["message_id"] for e in ends], ["A", "B", "C"], run.describe())
        a, b, c = ends
        self.assertIs(a["ok"], True)
        self.assertEqual(a["delivered"], 5)
        self.assertIs(c["ok"], True)
        self.assertEqual(c["delivered"], 5)
        self.assertIs(b["ok"], False)
        self.assertEqual(b["delivered"], 0)
        for fragment in error_fragments:
            self.assertIn(fragment, b.get("error", ""))
        self.assert_stats_line(run, records_posted=10, records_failed=5, chunks_posted=2,
                               chunks_failed=1)
        stored = self.stored_records()
        self.assertEqual(sorted((r["msg"], r["i"]) for r in stored),
                         sorted((m, i) for m in "AC" for i in range(5)))
        self.assertIn("la-post: error:", run.stderr)

    def test_400_invalid_data_format_fails_only_its_message(self):
        marker = "poison-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 400, "error": "InvalidDataFormat",
                            "times": -1}])
        # With a whole run's time left, as c42-ship runs it: still not retried.
        run = self.la_post(["--log-type", "Foo", "--deadline", deadline_in(600)],
                           encode(self.three_messages(marker)))
        self.check_b_failed(run, ["400", "InvalidDataFormat"])
        # Not retried.
        self.assertEqual(self.la.stats()["by_status"], {"200": 2, "400": 1})

    def test_500_until_retries_run_out_fails_only_its_message(self):
        marker = "flaky-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 500, "times": -1}])
        run = self.la_post(["--log-type", "Foo", "--max-attempts", "2"],
                           encode(self.three_messages(marker)))
        self.check_b_failed(run, ["500", "after 2 attempts"])
        # Tried exactly --max-attempts times.
        self.assertEqual(self.la.stats()["by_status"], {"200": 2, "500": 2})

    def test_other_400_is_fatal(self):
        # A 400 that is not about the data (here InvalidLogType) cannot be cured by
        # other chunks: la-post stops with kExitService.
        self.la.set_rules([{"status": 400, "error": "InvalidLogType", "times": -1}])
        run = self.la_post(["--log-type", "Foo", "--in-flight", "1", "--deadline", deadline_in(600)],
                           encode(self.three_messages("unused")))
        self.assertEqual(run.rc, EXIT_SERVICE, run.describe())
        self.assertFalse(any(e["ok"] for e in run.ends()), run.describe())
        self.assertEqual(self.la.stats()["requests"], 1)


    def test_with_a_deadline_500s_are_retried_until_it_then_the_message_is_kept(self):
        # la-post's default, as c42-ship runs it: no count, the deadline ends
        # the retries; then B is out of time, which is no service fault.
        marker = "storm-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 503, "times": -1}])
        run = self.la_post(["--log-type", "Foo", "--deadline", deadline_in(8)],
                           encode(self.three_messages(marker)))
        self.check_b_failed(run, ["503", "no time left for another attempt before the run's "
                                         "deadline"])
        tries = self.la.stats()["by_status"]["503"]
        self.assertGreater(tries, 6, "retried beyond the old count of six")
        self.assertGreater(run.elapsed, 5.0, "retried until close to the deadline")
        self.assertLess(run.elapsed, 8.0 + 5.0, run.describe())

    def test_without_a_deadline_500s_are_tried_six_times(self):
        marker = "storm-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 503, "times": -1}])
        run = self.la_post(["--log-type", "Foo"], encode(self.three_messages(marker)))
        self.check_b_failed(run, ["503", "after 6 attempts"])
        self.assertEqual(self.la.stats()["by_status"], {"200": 2, "503": 6})


# --- 4. transient faults ----------------------------------------------------

class TransientFaultTest(LaPostCase):

    def test_retries_deliver_everything(self):
        self.la.set_rules([
            {"status": 500, "times": 2},
            {"status": 503, "times": 1},
            {"close": True, "times": 1},
            {"status": 429, "retry_after": 1, "times": 2},
        ])
        lines = []
        for m in range(4):
            lines += message_lines("m%d" % m, [record_line(m=m, i=i) for i in range(10)])
        run = self.la_post(["--log-type", "Foo", "--chunk-records", "10", "--max-attempts", "8"],
                           encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        ends = run.ends()
        self.assertEqual([e["message_id"] for e in ends], ["m0", "m1", "m2", "m3"])
        self.assertTrue(all(e["ok"] and e["delivered"] == 10 for e in ends), run.describe())
        self.assert_stats_line(run, records_posted=40, records_failed=0, chunks_posted=4)
        stats = self.la.stats()
        # The faults really happened, so the delivery above needed retries.
        self.assertEqual(stats["by_status"],
                         {"500": 2, "503": 1, "closed": 1, "429": 2, "200": 4}, stats)
        self.assertEqual(stats["injected"], 6)
        # Every record exactly once (injected errors store nothing).
        self.assertEqual(sorted((r["m"], r["i"]) for r in self.stored_records()),
                         [(m, i) for m in range(4) for i in range(10)])
        # At least one chunk waited out a Retry-After of 1 s.
        self.assertGreaterEqual(run.elapsed, 1.0)

    def test_retry_after_is_honoured(self):
        # One chunk, one 429 with Retry-After: 1. Without the header the first
        # backoff is at most 250 ms; honouring it takes at least 1 s.
        self.la.set_rules([{"status": 429, "retry_after": 1, "times": 1}])
        lines = message_lines("m", [record_line(i=i) for i in range(3)])
        run = self.la_post(["--log-type", "Foo", "--max-attempts", "2"], encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertEqual(self.la.stats()["by_status"], {"429": 1, "200": 1})
        self.assertGreaterEqual(run.elapsed, 1.0)
        self.assertIs(run.ends()[0]["ok"], True)


class KeepAliveTest(LaPostCase):
    """Each worker posts over one connection it keeps open: no TCP (or, in
    production, TLS) handshake per chunk or per retry."""

    def post_messages(self, count, *args):
        lines = []
        for m in range(count):
            lines += message_lines("m%d" % m, [record_line(m=m, i=i) for i in range(10)])
        run = self.la_post(["--log-type", "Foo", "--chunk-records", "10"] + list(args),
                           encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        return self.la.stats()

    def test_one_connection_carries_every_post_and_retry(self):
        self.la.set_rules([{"status": 503, "times": 2}, {"status": 429, "times": 1}])
        stats = self.post_messages(12, "--in-flight", "1", "--max-attempts", "4")
        self.assertEqual(stats["by_status"], {"503": 2, "429": 1, "200": 12}, stats)
        self.assertEqual(stats["connections"], 1, stats)

    def test_at_most_one_connection_per_post_in_flight(self):
        stats = self.post_messages(30, "--in-flight", "3")
        self.assertEqual(stats["by_status"], {"200": 30}, stats)
        self.assertGreaterEqual(stats["connections"], 1, stats)
        self.assertLessEqual(stats["connections"], 3, stats)

    def test_a_connection_the_service_closed_is_replaced(self):
        self.la.set_rules([{"close": True, "times": 1}])
        stats = self.post_messages(4, "--in-flight", "1", "--max-attempts", "3")
        self.assertEqual(stats["by_status"], {"closed": 1, "200": 4}, stats)
        self.assertEqual(stats["connections"], 2, stats)


# --- 5. bad key -------------------------------------------------------------

class BadKeyTest(LaPostCase):

    def wrong_key(self):
        while True:
            key = base64.b64encode(os.urandom(64)).decode()
            if key != self.la.shared_key:
                return key

    def test_403_stops_with_service_status_without_leaking_the_key(self):
        wrong = self.wrong_key()
        lines = message_lines("m1", [record_line(i=i) for i in range(3)])
        run = self.la_post(["--log-type", "Foo"], encode(lines),
                           env=self.env({"LA_SHARED_KEY": wrong}))
        self.assertEqual(run.rc, EXIT_SERVICE, run.describe())
        err_lines = run.stderr.splitlines()
        self.assertEqual(len(err_lines), 1, run.stderr)
        self.assertTrue(err_lines[0].startswith("la-post: error:"), run.stderr)
        self.assertIn("403", err_lines[0])
        self.assertIn("InvalidAuthorization", err_lines[0])
        self.assertFalse(any(e["ok"] for e in run.ends()), run.describe())
        self.assertNotIn(wrong, run.stdout.decode("utf-8", "replace") + run.stderr)
        self.assert_no_secrets(run.stdout, run.stderr)
        # Nor the signature la-post computed: for every x-ms-date it could
        # have used, sign the one body it sent with the key it had.
        body = ("[" + ",".join(lines[1:-1]) + "]").encode("utf-8")
        for second in range(int(run.started) - 2, int(run.started + run.elapsed) + 3):
            date = email.utils.formatdate(second, usegmt=True)
            to_sign = "POST\n%d\napplication/json\nx-ms-date:%s\n/api/logs" % (len(body), date)
            signature = base64.b64encode(hmac.new(base64.b64decode(wrong), to_sign.encode(),
                                                  hashlib.sha256).digest()).decode()
            self.assertNotIn(signature, run.stdout.decode("utf-8", "replace") + run.stderr)
        stats = self.la.stats()
        self.assertEqual(stats["requests"], 1)  # 403 is never retried
        self.assertEqual(stats["by_status"], {"403": 1})
        self.assertEqual(self.stored_records(), [])

    def test_403_stops_further_posts(self):
        wrong = self.wrong_key()
        lines = []
        for m in range(5):
            lines += message_lines("m%d" % m, [record_line(m=m, i=i) for i in range(4)])
        run = self.la_post(["--log-type", "Foo", "--in-flight", "1"], encode(lines),
                           env=self.env({"LA_SHARED_KEY": wrong}))
        self.assertEqual(run.rc, EXIT_SERVICE, run.describe())
        self.assertFalse(any(e["ok"] for e in run.ends()), run.describe())
        self.assertEqual(self.la.stats()["requests"], 1)
        self.assertIn("403", run.stderr.splitlines()[0])
        self.assertEqual(run.stats.get("records_posted"), 0, run.describe())
        self.assert_no_secrets(run.stdout, run.stderr)
        self.assertNotIn(wrong, run.stderr)


# --- 6. interleaved spans and records outside spans ----------------------------

class InterleavedTest(LaPostCase):

    def test_failed_chunk_fails_every_span_it_touches(self):
        marker = "poison-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 400, "times": -1}])
        lines = [begin_line("A"), begin_line("B"),
                 record_line(msg="A", i=0), record_line(msg="B", i=0),
                 record_line(msg="A", i=1), record_line(msg="B", i=1, tag=marker),
                 end_line("A", 2), end_line("B", 2)]
        run = self.la_post(["--log-type", "Foo"], encode(lines))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = run.ends()
        self.assertEqual([e["message_id"] for e in ends], ["A", "B"])
        self.assertTrue(all(e["ok"] is False for e in ends), run.describe())

    def interleaved(self, marker_at):
        # chunk-records 2: [a0 a1] {A}, [b0 b1] {A,B}, [b2 b3] {B}
        recs = {n: record_line(name=n) for n in ("a0", "a1", "b0", "b1", "b2", "b3")}
        recs[marker_at] = record_line(name=marker_at, tag=self.marker)
        return [begin_line("A"), recs["a0"], recs["a1"], begin_line("B"), recs["b0"],
                recs["b1"], end_line("A", 2), recs["b2"], recs["b3"], end_line("B", 4)]

    def test_span_fails_only_through_chunks_it_touches(self):
        self.marker = "poison-" + uuid.uuid4().hex
        self.la.set_rules([{"match": self.marker, "status": 400, "times": -1}])
        args = ["--log-type", "Foo", "--chunk-records", "2"]

        run = self.la_post(args, encode(self.interleaved("b3")))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = ends_by_id(run.controls)
        self.assertIs(ends["A"]["ok"], True, run.describe())
        self.assertEqual(ends["A"]["delivered"], 4)  # its chunks: [a0 a1], [b0 b1]
        self.assertIs(ends["B"]["ok"], False, run.describe())
        self.assertEqual(ends["B"]["delivered"], 2)

        run = self.la_post(args, encode(self.interleaved("b0")))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = ends_by_id(run.controls)
        self.assertIs(ends["A"]["ok"], False, run.describe())
        self.assertIs(ends["B"]["ok"], False, run.describe())

        run = self.la_post(args, encode(self.interleaved("a0")))
        ends = ends_by_id(run.controls)
        self.assertIs(ends["A"]["ok"], False, run.describe())
        self.assertIs(ends["B"]["ok"], True, run.describe())
        self.assertEqual(ends["B"]["delivered"], 4)

    def test_record_outside_spans_fails_only_its_chunk(self):
        marker = "stray-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "status": 400, "times": -1}])
        lines = (message_lines("A", [record_line(msg="A")])
                 + [record_line(msg="stray", tag=marker)]
                 + message_lines("C", [record_line(msg="C")]))
        run = self.la_post(["--log-type", "Foo", "--chunk-records", "1"], encode(lines))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = ends_by_id(run.controls)
        self.assertIs(ends["A"]["ok"], True, run.describe())
        self.assertIs(ends["C"]["ok"], True, run.describe())
        self.assert_stats_line(run, records_posted=2, records_failed=1, chunks_failed=1)
        self.assertEqual(sorted(r["msg"] for r in self.stored_records()), ["A", "C"])

    def test_record_outside_spans_that_succeeds(self):
        lines = message_lines("A", [record_line(msg="A")]) + [record_line(msg="stray")]
        run = self.la_post(["--log-type", "Foo"], encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assert_stats_line(run, records_posted=2, records_failed=0)


# --- 7. bad input -----------------------------------------------------------

class BadInputTest(LaPostCase):

    def test_non_object_record_fails_its_span(self):
        for bad in ("this is not json", "[1,2,3]", '{"a":1} trailing', '{"a":1,"a":2}'):
            with self.subTest(bad=bad):
                lines = ([begin_line("A"), record_line(msg="A", i=0), bad,
                          record_line(msg="A", i=1), end_line("A", 3)]
                         + message_lines("B", [record_line(msg="B", i=0)]))
                run = self.la_post(["--log-type", "Foo"], encode(lines))
                self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
                ends = ends_by_id(run.controls)
                self.assertIs(ends["A"]["ok"], False, run.describe())
                self.assertIn("input line 3", ends["A"]["error"])
                self.assertIs(ends["B"]["ok"], True, run.describe())
                self.assertIn("input line 3", run.stderr)
                self.assertEqual(run.stats["records_failed"], 1, run.describe())

    def test_malformed_control_line_stops_with_bad_input(self):
        for bad in ('{"@c42":"end","queue_url":"q"}', '{"@c42":"begin", broken',
                    '{"@c42":"end","queue_url":"%s","message_id":"A","receipt_handle":"rh-A"}'
                    % QUEUE_URL):
            with self.subTest(bad=bad):
                lines = [begin_line("A"), record_line(msg="A"), "", bad, end_line("A", 1)]
                run = self.la_post(["--log-type", "Foo"], encode(lines))
                self.assertEqual(run.rc, EXIT_BAD_INPUT, run.describe())
                self.assertIn("input line 4", run.stderr)  # blank lines count
                self.assertFalse(any(e["ok"] for e in run.ends()), run.describe())
                self.assertEqual(run.controls[0], json.loads(begin_line("A")))
                self.assertEqual(run.stats["@c42"], "stats", run.describe())

    def test_record_larger_than_chunk_bytes_fails_its_span(self):
        big = record_line(msg="A", pad="x" * 5000)
        lines = (message_lines("A", [record_line(msg="A", i=0), big])
                 + message_lines("B", [record_line(msg="B")]))
        run = self.la_post(["--log-type", "Foo", "--chunk-bytes", "4096"], encode(lines))
        self.assertEqual(run.rc, EXIT_PARTIAL, run.describe())
        ends = ends_by_id(run.controls)
        self.assertIs(ends["A"]["ok"], False)
        self.assertIn("larger than the chunk limit", ends["A"]["error"])
        self.assertIs(ends["B"]["ok"], True)


# --- 8. configuration -------------------------------------------------------

class ConfigTest(LaPostCase):

    def one_error_line(self, run):
        lines = run.stderr.splitlines()
        self.assertEqual(len(lines), 1, run.stderr)
        self.assertTrue(lines[0].startswith("la-post: "), run.stderr)
        return lines[0]

    def test_missing_shared_key(self):
        run = self.la_post(["--log-type", "Foo"], encode([record_line(i=1)]),
                           env=self.env(remove=["LA_SHARED_KEY"]))
        self.assertEqual(run.rc, EXIT_CONFIG, run.describe())
        self.assertIn("LA_SHARED_KEY", self.one_error_line(run))
        self.assertEqual(run.stdout, b"")
        self.assertEqual(self.la.stats()["requests"], 0)

    def test_undecodable_shared_key_is_not_printed(self):
        secret = "not-base64-" + uuid.uuid4().hex
        run = self.la_post(["--log-type", "Foo"], encode([record_line(i=1)]),
                           env=self.env({"LA_SHARED_KEY": secret}))
        self.assertEqual(run.rc, EXIT_CONFIG, run.describe())
        self.one_error_line(run)
        self.assertNotIn(secret, run.stderr)
        self.assertEqual(self.la.stats()["requests"], 0)

    def test_invalid_log_type(self):
        for log_type in ("bad-type", "", "x" * 101):
            with self.subTest(log_type=log_type):
                run = self.la_post(["--log-type", log_type], encode([record_line(i=1)]))
                self.assertEqual(run.rc, EXIT_USAGE, run.describe())
                self.one_error_line(run)
        self.assertEqual(self.la.stats()["requests"], 0)

    def test_missing_log_type_and_bad_workspace(self):
        run = self.la_post([], encode([record_line(i=1)]))
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        run = self.la_post(["--log-type", "Foo"], encode([record_line(i=1)]),
                           env=self.env({"LA_WORKSPACE_ID": "not-a-guid"}))
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.one_error_line(run)

    def test_key_is_never_a_flag_value(self):
        run = self.la_post(["--log-type", "Foo", "--shared-key", self.la.shared_key],
                           encode([record_line(i=1)]), env=self.env(remove=["LA_SHARED_KEY"]))
        self.assertEqual(run.rc, EXIT_USAGE, run.describe())
        self.assertEqual(self.la.stats()["requests"], 0)

    def test_shared_key_file_and_env_log_type(self):
        key_file = os.path.join(self.workdir, "key.txt")
        with open(key_file, "w") as f:
            f.write(self.la.shared_key + "\n")
        lines = message_lines("m", [record_line(i=i) for i in range(3)])
        run = self.la_post(["--shared-key-file", key_file], encode(lines),
                           env=self.env({"LA_LOG_TYPE": "FromEnv"}, remove=["LA_SHARED_KEY"]))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertIs(run.ends()[0]["ok"], True)
        self.assertEqual(self.la.stats()["by_log_type"], {"FromEnv": 3})
        self.assertEqual(run.stderr, "")

        run = self.la_post(["--log-type", "Foo", "--shared-key-file",
                            os.path.join(self.workdir, "missing")], encode(lines),
                           env=self.env(remove=["LA_SHARED_KEY"]))
        self.assertEqual(run.rc, EXIT_CONFIG, run.describe())
        self.one_error_line(run)


# --- 9-11. with c42-transform, time-generated-field, slow service ----------------

def source_record(line, index=0, key="logs/2024/05/01/events.json", event_time=""):
    return json.dumps({"bucket": "c42-bucket", "key": key, "event_time": event_time,
                       "index": index, "line": line}, ensure_ascii=False,
                       separators=(",", ":"))


class TransformPipelineTest(LaPostCase):

    def test_long_line_is_split_into_fitting_parts(self):
        piece = 'ab\u00e9"\\\u4e2d\U0001F600\u2028<tab\t>'
        original = json.dumps({"eventId": "e1", "payload": piece * 8000}, ensure_ascii=False)
        self.assertGreater(len(original.encode("utf-8")), 200 * 1000)
        lines = [begin_line("m"), source_record(original, index=7),
                 source_record('{"small":true}', index=8), end_line("m", 2)]
        run = self.transform_then_post([], ["--log-type", "Code42"], encode(lines))
        self.assertEqual(run.transform_rc, EXIT_OK, run.transform_stderr)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertIs(run.ends()[0]["ok"], True)

        rows = self.stored_records()
        parts = [r for r in rows if "Record_Id" in r]
        whole = [r for r in rows if "Record_Id" not in r]
        self.assertEqual([r["Raw_Data"] for r in whole], ['{"small":true}'])
        self.assertGreaterEqual(len(parts), 7)
        self.assertEqual(len({p["Record_Id"] for p in parts}), 1)
        self.assertEqual(sorted(p["Part_Number"] for p in parts), list(range(1, len(parts) + 1)))
        self.assertTrue(all(p["Part_Count"] == len(parts) for p in parts))
        for p in parts:
            self.assertLessEqual(len(p["Raw_Data"].encode("utf-8")), 32000)
            self.assertEqual(p["Bucket_Name"], "c42-bucket")
        joined = "".join(p["Raw_Data"] for p in sorted(parts, key=lambda p: p["Part_Number"]))
        self.assertEqual(joined.encode("utf-8"), original.encode("utf-8"))
        self.assertEqual(run.ends()[0]["delivered"], len(rows))

    def test_long_invalid_utf8_line_keeps_its_bytes(self):
        raw = b"ok \xff\xfe bad \xe2\x82 \xc3\xa9 \xf0\x9f\x98\x80 \xed\xa0\x80 " * 8200
        self.assertGreater(len(raw), 200 * 1000)
        record = json.dumps({"bucket": "c42-bucket", "key": "k", "event_time": "", "index": 0,
                             "line": raw.decode("utf-8", "replace"),
                             "line_b64": base64.b64encode(raw).decode()})
        lines = [begin_line("m"), record, end_line("m", 1)]
        run = self.transform_then_post([], ["--log-type", "Code42"], encode(lines))
        self.assertEqual(run.transform_rc, EXIT_OK, run.transform_stderr)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertIs(run.ends()[0]["ok"], True)
        parts = sorted(self.stored_records(), key=lambda p: p["Part_Number"])
        self.assertGreater(len(parts), 1)
        self.assertEqual([p["Part_Number"] for p in parts], list(range(1, len(parts) + 1)))
        self.assertEqual(len({p["Record_Id"] for p in parts}), 1)
        for p in parts:
            self.assertLessEqual(len(p["Raw_Data"].encode("utf-8")), 32000)
            self.assertLessEqual(len(p["Raw_Data_Base64"]), 32000)
        self.assertEqual(b"".join(base64.b64decode(p["Raw_Data_Base64"]) for p in parts), raw)

    def test_time_generated_field(self):
        stamps = ["2024-05-01T12:00:00.000Z", "2024-05-01T12:00:01.5+02:00"]
        lines = [begin_line("m")]
        for i, stamp in enumerate(stamps):
            lines.append(source_record(json.dumps({"eventTimestamp": stamp, "n": i}), index=i))
        lines.append(end_line("m", len(stamps)))
        run = self.transform_then_post(["--time-field", "eventTimestamp"],
                                       ["--log-type", "Code42", "--time-generated-field",
                                        "Event_Time"], encode(lines))
        self.assertEqual(run.transform_rc, EXIT_OK, run.transform_stderr)
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        self.assertIs(run.ends()[0]["ok"], True)
        entries = self.store_entries()
        self.assertEqual(len(entries), 2)
        self.assertTrue(all(e["time_generated_field"] == "Event_Time" for e in entries))
        self.assertEqual(sorted(e["record"]["Event_Time"] for e in entries), sorted(stamps))
        # Old fixtures: accepted, but Azure would use ingestion time.
        self.assertEqual(self.la.stats()["time_generated_out_of_window"], 2)


class SlowServiceTest(LaPostCase):

    def test_slow_post_does_not_block_others_or_reorder_ends(self):
        marker = "slow-" + uuid.uuid4().hex
        self.la.set_rules([{"match": marker, "delay": 2.0, "times": 1}])
        lines = []
        for mid in ("A", "B", "C", "D"):
            recs = [record_line(msg=mid, i=i) for i in range(3)]
            if mid == "A":
                recs[0] = record_line(msg=mid, i=0, tag=marker)
            lines += message_lines(mid, recs)
        run = self.la_post(["--log-type", "Foo", "--in-flight", "4"], encode(lines))
        self.assertEqual(run.rc, EXIT_OK, run.describe())
        ends = run.ends()
        self.assertEqual([e["message_id"] for e in ends], ["A", "B", "C", "D"])
        self.assertTrue(all(e["ok"] and e["delivered"] == 3 for e in ends), run.describe())
        self.assertGreaterEqual(run.elapsed, 2.0)
        posts = {}
        for e in self.store_entries():
            posts.setdefault(e["record"]["msg"], set()).add(e["post"])
        self.assertEqual({k: len(v) for k, v in posts.items()}, {m: 1 for m in "ABCD"})
        # A was sent first but answered last: the other posts went on meanwhile.
        self.assertEqual(posts["A"], {4}, posts)
        self.assertEqual(self.la.stats()["by_status"], {"200": 4})


if __name__ == "__main__":
    unittest.main()
