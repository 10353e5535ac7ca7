"""la-post --api ingestion (and c42-transform before it) against the strict
Logs Ingestion API of the Log Analytics stand-in, with tokens from the
Microsoft Entra stand-in: rows arrive byte for byte, tokens are renewed when
they expire or are refused, 413 answers split chunks, throttling and server
errors are ridden out, refusals that no retry can cure end the run with one
line saying what to fix, and --pass-records posts every record to both APIs
with an end line ok only when both took it. No token or secret is ever
written. Tokens come from azure::default_token_provider, as in production.

Run by CTest as `python3 -m unittest -v test_logs_ingestion` in
tests/integration with C42_BIN_DIR (the CMake build directory) and
C42_SOURCE_DIR (the repository root). One Entra and one Log Analytics
stand-in serve every test but those that need short-lived tokens, on
127.0.0.1, stopped by their PIDs at the end.
"""

import base64
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "harness"))

from dataset import make_object  # noqa: E402
from entra import Entra  # noqa: E402
from peers import LogAnalytics  # noqa: E402

BIN_DIR = os.environ.get("C42_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
LA_POST = os.path.join(BIN_DIR, "la-post")
TRANSFORM = os.path.join(BIN_DIR, "c42-transform")
TIMEOUT = 60

# Every JWT starts with the base64url of '{"alg"'.
JWT_MARK = "eyJhbGci"

QUEUE_URL = "http://127.0.0.1:1/000000000000/c42-events"


def ref(mid):
    return {"queue_url": QUEUE_URL, "message_id": mid, "receipt_handle": "rh-" + mid}


def control(kind, mid, **fields):
    line = {"@c42": kind}
    line.update(ref(mid))
    line.update(fields)
    return json.dumps(line, separators=(",", ":"))


def source_record(key, index, line, etag=None):
    """A record as s3-fetch writes it; bytes that are not UTF-8 go in line_b64.
    Without an etag, each record gets a random one."""
    record = {"bucket": "code42-exports", "key": key, "event_time": "2026-11-25T01:00:00Z",
              "etag": etag or "\"%s\"" % uuid.uuid4().hex, "index": index}
    if isinstance(line, bytes):
        record["line"] = line.decode("utf-8", "replace")
        record["line_b64"] = base64.b64encode(line).decode()
    else:
        record["line"] = line
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def message(mid, key, lines, etag=None):
    """begin, one source record per line, end: one SQS message's stream."""
    out = [control("begin", mid)]
    out += [source_record(key, i, line, etag) for i, line in enumerate(lines)]
    out.append(control("end", mid, ok=True, fetched=1, skipped=0, failed=0, records=len(lines)))
    return out


def encode(lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def original(row):
    """The line a row (or its first part) came from, as bytes."""
    if "Raw_Data_Base64" in row:
        return base64.b64decode(row["Raw_Data_Base64"])
    return row["Raw_Data"].encode("utf-8")


def reassemble(rows):
    """{(Key, original bytes): count}, split parts joined in order."""
    lines, parts = {}, {}
    for row in rows:
        if "Part_Number" in row:  # whole rows have a Record_Id too with --row-id
            parts.setdefault(row["Record_Id"], {})[row["Part_Number"]] = row
        else:
            k = (row["Key"], original(row))
            lines[k] = lines.get(k, 0) + 1
    for got in parts.values():
        ordered = [got[n] for n in sorted(got)]
        if len(ordered) != ordered[0]["Part_Count"]:
            continue
        k = (ordered[0]["Key"], b"".join(original(p) for p in ordered))
        lines[k] = lines.get(k, 0) + 1
    return lines


class Run:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.stdout = out.decode("utf-8")
        self.stderr = err.decode("utf-8", "replace")
        self.lines = [json.loads(line) for line in self.stdout.splitlines() if line]

    def ends(self):
        return {c["message_id"]: c for c in self.lines if c.get("@c42") == "end"}

    def describe(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.rc, self.stdout[-3000:],
                                                      self.stderr[-3000:])


class Peers:
    """An Entra stand-in issuing tokens of one lifetime and a Log Analytics
    stand-in taking them, in a scratch directory."""

    def __init__(self, token_lifetime):
        self.workdir = tempfile.mkdtemp(prefix="c42-ingestion-")
        self.entra = self.la = None
        try:
            self.entra = Entra(self.workdir, token_lifetime=token_lifetime)
            self.la = LogAnalytics(self.workdir, entra=self.entra)
        except Exception:
            self.stop()
            raise

    def stop(self):
        for peer in (self.la, self.entra):
            if peer:
                peer.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


_peers = {}  # token lifetime -> Peers


def peers(token_lifetime):
    if token_lifetime not in _peers:
        _peers[token_lifetime] = Peers(token_lifetime)
    return _peers[token_lifetime]


def tearDownModule():
    for p in _peers.values():
        p.stop()


class IngestionCase(unittest.TestCase):
    """Shares the stand-ins for TOKEN_LIFETIME with the other classes."""

    TOKEN_LIFETIME = 3600

    @classmethod
    def setUpClass(cls):
        for exe in (LA_POST, TRANSFORM):
            if not os.access(exe, os.X_OK):
                raise AssertionError("%s not built (set C42_BIN_DIR)" % exe)
        shared = peers(cls.TOKEN_LIFETIME)
        cls.entra, cls.la = shared.entra, shared.la

    def setUp(self):
        self.la.clear_rules()

    def env(self, identity="client_secret", **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LA_", "AZURE_", "IDENTITY_", "MSI_", "C42_"))}
        env.update(self.la.ingestion_env())
        env.update(getattr(self.entra, identity + "_env")())
        env.update(extra)
        return env

    def secrets(self):
        return [self.entra.client_secret, self.entra.identity_header, self.la.shared_key,
                JWT_MARK]

    def run_pipeline(self, lines, transform_args=("--for-api", "ingestion"), post_args=(),
                     identity="client_secret", env=None, second_post_args=None):
        """c42-transform | la-post [| la-post]; the last la-post's Run, with
        every stage's stderr and exit status checked for secrets by the caller."""
        env = env or self.env(identity)
        stages = [[TRANSFORM] + list(transform_args), [LA_POST] + list(post_args)]
        if second_post_args is not None:
            stages.append([LA_POST] + list(second_post_args))
        procs, errs = [], []
        stdin = subprocess.PIPE
        for argv in stages:
            err = tempfile.TemporaryFile()
            p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=err, env=env)
            if procs:
                procs[-1].stdout.close()  # the next stage owns it now
            procs.append(p)
            errs.append(err)
            stdin = p.stdout
        try:
            procs[0].stdin.write(encode(lines))
            procs[0].stdin.close()
            out = procs[-1].stdout.read()
            procs[-1].stdout.close()
            for p in procs:
                p.wait(timeout=TIMEOUT)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        stderr = b""
        for err in errs:
            err.seek(0)
            stderr += err.read()
            err.close()
        run = Run(procs[-1].returncode, out, stderr)
        run.codes = [p.returncode for p in procs]
        return run

    def post(self, lines, args=(), env=None, identity="client_secret"):
        """la-post alone, on rows."""
        p = subprocess.run([LA_POST] + list(args), input=encode(lines), capture_output=True,
                           env=env or self.env(identity), timeout=TIMEOUT)
        run = Run(p.returncode, p.stdout, p.stderr)
        run.codes = [p.returncode]
        return run

    def assert_no_secrets(self, run):
        for secret in self.secrets():
            self.assertNotIn(secret, run.stdout)
            self.assertNotIn(secret, run.stderr)

    def stored(self, key_prefix, api="ingestion"):
        return [r for r in self.la.records(api) if r.get("Key", "").startswith(key_prefix)]

    def rows(self, mid, count, tag):
        """Rows as c42-transform writes them, for la-post alone."""
        out = [control("begin", mid)]
        for i in range(count):
            out.append(json.dumps({"Bucket_Name": "b", "Key": "%s/%d" % (tag, i),
                                   "Actual_Time": "", "Raw_Data": "%s line %d" % (tag, i)}))
        out.append(control("end", mid, ok=True, fetched=1, skipped=0, failed=0, records=count))
        return out


class Delivery(IngestionCase):
    def test_rows_arrive_byte_for_byte_with_a_client_secret(self):
        tag = "exact-" + uuid.uuid4().hex[:8]
        rng = random.Random(7)
        objects = {}
        lines = []
        for n in range(3):
            key = "%s/file-events-%d.json.gz" % (tag, n)
            objects[key] = make_object(rng, n, 60, long_every=20)
            lines += message("m%d" % n, key, objects[key])
        bad_key = tag + "/not-utf8.json"
        objects[bad_key] = [b"caf\xe9 \xff\xfe {\"x\":1}", "plain \u2028 line"]
        lines += message("m-bytes", bad_key, objects[bad_key])
        run = self.run_pipeline(lines)
        self.assertEqual(run.codes, [0, 0], run.describe())
        self.assertEqual(run.stderr, "", run.describe())
        ends = run.ends()
        self.assertEqual(sorted(ends), ["m-bytes", "m0", "m1", "m2"])
        for mid, end in ends.items():
            self.assertTrue(end["ok"], end)
        rows = self.stored(tag)
        for n in range(3):
            key = "%s/file-events-%d.json.gz" % (tag, n)
            self.assertEqual(ends["m%d" % n]["delivered"], len([r for r in rows if r["Key"] == key]))
            self.assertGreater(ends["m%d" % n]["delivered"], 60, "long lines were split")
        want = {}
        for key, object_lines in objects.items():
            for line in object_lines:
                k = (key, line if isinstance(line, bytes) else line.encode("utf-8"))
                want[k] = want.get(k, 0) + 1
        self.assertEqual(reassemble(rows), want)
        parts = [r for r in rows if "Record_Id" in r]
        self.assertTrue(parts)
        longest = max(len(r["Raw_Data"].encode("utf-8")) for r in parts)
        self.assertLessEqual(longest, 64000)
        self.assertGreater(longest, 32000, "split for the Logs Ingestion API's 64 KB")
        entries = [e for e in self.la.entries("ingestion")
                   if e["record"].get("Key", "").startswith(tag)]
        self.assertEqual({e["stream"] for e in entries}, {LogAnalytics.STREAM})
        self.assertEqual({e["dcr_id"] for e in entries}, {self.la.dcr_id})
        self.assertGreaterEqual(self.entra.stats().get("client-secret ok", 0), 1)
        self.assert_no_secrets(run)

    def test_row_ids_reach_the_table_and_repeat_on_redelivery(self):
        # c42-transform --row-id: whole rows and split parts carry the
        # Record_Id column the DCR declares (la-post(1)), the same when the
        # object is shipped again, so the KQL of c42-stream(7) finds repeats.
        tag = "rowid-" + uuid.uuid4().hex[:8]
        key = tag + "/file-events.json.gz"
        lines = make_object(random.Random(3), 0, 40, long_every=20)
        for attempt in range(2):
            run = self.run_pipeline(message("m%d" % attempt, key, lines, '"%s"' % tag),
                                    transform_args=("--for-api", "ingestion", "--row-id"))
            self.assertEqual(run.codes, [0, 0], run.describe())
        rows = self.stored(tag)
        self.assertTrue(all(len(r.get("Record_Id", "")) == 32 for r in rows), rows[0])
        self.assertTrue(any("Part_Number" in r for r in rows), "long lines were split")
        copies = {}
        for r in rows:
            part = (r["Record_Id"], r.get("Part_Number"))
            copies[part] = copies.get(part, 0) + 1
        self.assertEqual(set(copies.values()), {2})
        self.assertEqual(len({rid for rid, _ in copies}), len(lines))

    def test_an_app_service_managed_identity(self):
        tag = "msi-" + uuid.uuid4().hex[:8]
        before = self.entra.stats().get("app-service ok", 0)
        run = self.run_pipeline(message("a", tag + "/k", ["one", "two"]), identity="app_service")
        self.assertEqual(run.codes, [0, 0], run.describe())
        self.assertTrue(run.ends()["a"]["ok"])
        self.assertEqual(sorted(r["Raw_Data"] for r in self.stored(tag)), ["one", "two"])
        self.assertGreater(self.entra.stats().get("app-service ok", 0), before)
        self.assert_no_secrets(run)

    def test_a_401_is_answered_with_a_fresh_token(self):
        tag = "refresh-" + uuid.uuid4().hex[:8]
        self.la.set_rules([{"api": "ingestion", "status": 401, "times": 1}])
        before = self.entra.stats().get("client-secret ok", 0)
        run = self.post(self.rows("r", 3, tag))
        self.assertEqual(run.rc, 0, run.describe())
        self.assertTrue(run.ends()["r"]["ok"])
        self.assertEqual(len(self.stored(tag)), 3)
        self.assertGreaterEqual(self.entra.stats().get("client-secret ok", 0) - before, 2,
                                "the refused token was replaced")
        self.assert_no_secrets(run)


class TokenExpiry(IngestionCase):
    """Tokens live two seconds, so a run that lasts longer needs new ones."""

    TOKEN_LIFETIME = 2

    def test_tokens_that_expire_mid_run_are_renewed(self):
        tag = "expiry-" + uuid.uuid4().hex[:8]
        before = self.entra.stats().get("client-secret ok", 0)
        p = subprocess.Popen([LA_POST, "--in-flight", "1"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env())
        try:
            for n in range(3):
                if n:
                    time.sleep(2.2)  # past the last token's lifetime
                p.stdin.write(encode(self.rows("e%d" % n, 2, "%s/%d" % (tag, n))))
                p.stdin.flush()
            out, err = p.communicate(timeout=TIMEOUT)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        run = Run(p.returncode, out, err)
        self.assertEqual(run.rc, 0, run.describe())
        self.assertEqual([run.ends()["e%d" % n]["ok"] for n in range(3)], [True] * 3)
        self.assertEqual(len(self.stored(tag)), 6)
        self.assertGreaterEqual(self.entra.stats().get("client-secret ok", 0) - before, 3,
                                "a token for each message, the others having expired")
        self.assert_no_secrets(run)


class Limits(IngestionCase):
    def test_a_413_splits_the_chunk_until_it_fits(self):
        tag = "split-" + uuid.uuid4().hex[:8]
        self.la.set_rules([{"api": "ingestion", "status": 413, "times": 2}])
        run = self.post(self.rows("s", 8, tag))
        self.assertEqual(run.rc, 0, run.describe())
        self.assertTrue(run.ends()["s"]["ok"])
        self.assertEqual(run.ends()["s"]["delivered"], 8)
        entries = [e for e in self.la.entries("ingestion")
                   if e["record"].get("Key", "").startswith(tag)]
        self.assertEqual(sorted(e["record"]["Key"] for e in entries),
                         sorted("%s/%d" % (tag, i) for i in range(8)))
        # 8 -> 413; 4 -> 413; 2, 2 and 4 accepted.
        self.assertEqual(sorted(len([e for e in entries if e["post"] == p])
                                for p in {e["post"] for e in entries}), [2, 2, 4])
        self.assert_no_secrets(run)

    def one_bad_record_between_two_messages(self, name, rows_each):
        """(tag, poison, lines): messages ok1 and ok2 of `rows_each` rows
        around message "bad", whose second of three records is the poison."""
        tag = name + "-" + uuid.uuid4().hex[:8]
        poison = "POISON-" + uuid.uuid4().hex
        lines = self.rows("ok1", rows_each, tag + "/a")
        lines += [control("begin", "bad")]
        lines += [json.dumps({"Key": "%s/b/%d" % (tag, i), "Raw_Data": poison if i == 1 else "x"})
                  for i in range(3)]
        lines += [control("end", "bad", ok=True, records=3)]
        lines += self.rows("ok2", rows_each, tag + "/c")
        return tag, poison, lines

    def test_a_record_refused_as_too_large_fails_only_its_message(self):
        tag, poison, lines = self.one_bad_record_between_two_messages("huge", 2)
        self.la.set_rules([{"api": "ingestion", "match": poison, "status": 413, "times": -1}])
        run = self.post(lines)
        self.assertEqual(run.rc, 1, run.describe())
        ends = run.ends()
        self.assertTrue(ends["ok1"]["ok"])
        self.assertTrue(ends["ok2"]["ok"])
        self.assertFalse(ends["bad"]["ok"])
        self.assertIn("as too large", ends["bad"]["error"])
        self.assertEqual(ends["bad"]["delivered"], 2, "its other records got through")
        self.assertNotIn(poison, [r["Raw_Data"] for r in self.stored(tag)])
        self.assertEqual(len(self.stored(tag)), 6)

    def test_a_record_refused_for_its_data_fails_only_its_message(self):
        # One bad record makes the service refuse the whole call: the records
        # posted with it, other messages' among them, must still arrive.
        tag, poison, lines = self.one_bad_record_between_two_messages("refused", 3)
        self.la.set_rules([{"api": "ingestion", "match": poison, "status": 400,
                            "error": "InvalidPayload", "times": -1}])
        run = self.post(lines)
        self.assertEqual(run.rc, 1, run.describe())
        ends = run.ends()
        self.assertTrue(ends["ok1"]["ok"], run.describe())
        self.assertTrue(ends["ok2"]["ok"], run.describe())
        self.assertFalse(ends["bad"]["ok"])
        self.assertNotIn("interrupted", ends["bad"], "the message's own fault")
        self.assertIn("InvalidPayload", ends["bad"]["error"])
        self.assertEqual(ends["bad"]["delivered"], 2, "its other records got through")
        self.assertNotIn(poison, [r["Raw_Data"] for r in self.stored(tag)])
        self.assertEqual(len(self.stored(tag)), 8)

    def test_throttling_and_server_errors_are_ridden_out(self):
        tag = "storm-" + uuid.uuid4().hex[:8]
        self.la.set_rules([{"api": "ingestion", "status": 429, "retry_after": 1, "times": 2},
                           {"api": "ingestion", "status": 503, "times": 2},
                           {"api": "ingestion", "status": 500, "times": 1}])
        lines = []
        for n in range(4):
            lines += self.rows("t%d" % n, 5, "%s/%d" % (tag, n))
        started = time.monotonic()
        run = self.post(lines, ["--max-attempts", "8"])
        self.assertEqual(run.rc, 0, run.describe())
        self.assertTrue(all(e["ok"] for e in run.ends().values()), run.describe())
        self.assertEqual(len(self.stored(tag)), 20)
        self.assertGreaterEqual(time.monotonic() - started, 1.0, "Retry-After was honoured")
        stats = self.la.stats()
        self.assertGreaterEqual(stats["by_status"].get("429", 0), 2)


class Refusals(IngestionCase):
    """Refusals that no retry cures: exit status 5, one line saying what to
    fix, and no end line ok."""

    def assert_refused(self, run, fix, tag):
        self.assertEqual(run.rc, 5, run.describe())
        self.assertEqual(len(run.stderr.splitlines()), 1, run.describe())
        self.assertTrue(run.stderr.startswith("la-post: error: "), run.stderr)
        self.assertIn(fix, run.stderr)
        ends = run.ends()
        self.assertTrue(ends)
        self.assertFalse([m for m, e in ends.items() if e["ok"]], run.describe())
        self.assertEqual(self.stored(tag), [])
        self.assert_no_secrets(run)

    def test_403_names_the_role(self):
        tag = "forbidden-" + uuid.uuid4().hex[:8]
        self.la.set_rules([{"api": "ingestion", "status": 403, "times": -1,
                            "message": "The authentication token provided does not have access "
                                       "to ingest data for the data collection rule"}])
        before = self.la.stats()["by_status"].get("403", 0)
        # With a whole run's time left, as c42-ship runs it: still not retried.
        run = self.post(self.rows("f1", 2, tag) + self.rows("f2", 2, tag),
                        ["--deadline", str(int(time.time()) + 600), "--in-flight", "1"])
        self.assert_refused(run, "needs the Monitoring Metrics Publisher role", tag)
        self.assertIn("HTTP 403", run.stderr)
        self.assertEqual(self.la.stats()["by_status"].get("403", 0) - before, 1)

    def test_401_for_a_fresh_token_too(self):
        tag = "unauth-" + uuid.uuid4().hex[:8]
        self.la.set_rules([{"api": "ingestion", "status": 401, "times": -1}])
        before = self.la.stats()["by_status"].get("401", 0)
        run = self.post(self.rows("u", 2, tag), ["--deadline", str(int(time.time()) + 600)])
        self.assert_refused(run, "refused a fresh token", tag)
        self.assertEqual(self.la.stats()["by_status"].get("401", 0) - before, 2,
                         "one try with a fresh token, then no more")

    def test_a_token_for_another_cloud_is_refused(self):
        # The Entra stand-in issues it; the service wants https://monitor.azure.com.
        tag = "cloud-" + uuid.uuid4().hex[:8]
        run = self.post(self.rows("c", 2, tag),
                        ["--token-scope", "https://monitor.azure.us/.default"])
        self.assert_refused(run, "check that the token scope https://monitor.azure.us/.default",
                            tag)
        self.assertIn("wrong audience", run.stderr)

    def test_an_unknown_dcr_or_stream(self):
        tag = "unknown-" + uuid.uuid4().hex[:8]
        run = self.post(self.rows("d", 1, tag), ["--dcr-id", "dcr-" + "0" * 32])
        self.assert_refused(run, "check the endpoint and the DCR's immutable ID", tag)
        run = self.post(self.rows("s", 1, tag), ["--stream", "Custom-Other_CL"])
        self.assert_refused(run, "check the stream name", tag)

    def test_a_wrong_client_secret(self):
        tag = "secret-" + uuid.uuid4().hex[:8]
        env = self.env(AZURE_CLIENT_SECRET="wrong-" + uuid.uuid4().hex)
        run = self.post(self.rows("w", 1, tag), env=env)
        self.assert_refused(run, "no Microsoft Entra token for https://monitor.azure.com/.default",
                            tag)
        self.assertNotIn(env["AZURE_CLIENT_SECRET"], run.stderr)


class BothApis(IngestionCase):
    """la-post --api data-collector --pass-records | la-post --api ingestion."""

    def both(self, lines):
        env = self.env()
        env.update(self.la.tool_env(), LA_LOG_TYPE="Code42Logs")
        return self.run_pipeline(lines, transform_args=(), env=env,
                                 post_args=("--api", "data-collector", "--pass-records"),
                                 second_post_args=("--api", "ingestion"))

    def test_every_row_reaches_both_apis(self):
        tag = "both-" + uuid.uuid4().hex[:8]
        lines = message("b1", tag + "/1", ["one", "two"]) + message("b2", tag + "/2", ["three"])
        run = self.both(lines)
        self.assertEqual(run.codes, [0, 0, 0], run.describe())
        ends = run.ends()
        self.assertEqual({m: (e["ok"], e["delivered"]) for m, e in ends.items()},
                         {"b1": (True, 2), "b2": (True, 1)})
        collector = self.stored(tag, "data-collector")
        self.assertEqual(sorted(r["Raw_Data"] for r in collector), ["one", "three", "two"])
        self.assertEqual(sorted(self.stored(tag, "ingestion"), key=lambda r: r["Raw_Data"]),
                         sorted(collector, key=lambda r: r["Raw_Data"]), "the same rows")
        stats = [line for line in run.lines if line.get("@c42") == "stats"]
        self.assertEqual(len(stats), 2, "each la-post's totals")
        self.assert_no_secrets(run)

    def test_an_end_line_is_ok_only_if_both_apis_took_the_message(self):
        tag = "either-" + uuid.uuid4().hex[:8]
        self.la.set_rules([
            {"api": "data-collector", "match": "refused-by-collector", "status": 400,
             "error": "InvalidDataFormat", "times": -1},
            {"api": "ingestion", "match": "refused-by-ingestion", "status": 400,
             "error": "InvalidPayload", "times": -1}])
        lines = (message("ok", tag + "/ok", ["fine"]) +
                 message("dc", tag + "/dc", ["refused-by-collector"]) +
                 message("li", tag + "/li", ["refused-by-ingestion"]))
        run = self.both(lines)
        self.assertEqual(run.codes, [0, 1, 1], run.describe())
        ends = run.ends()
        self.assertTrue(ends["ok"]["ok"])
        self.assertFalse(ends["dc"]["ok"], "the Data Collector API refused it")
        self.assertFalse(ends["li"]["ok"], "the Logs Ingestion API refused it")
        self.assertIn("InvalidDataFormat", ends["dc"]["error"])
        self.assertIn("InvalidPayload", ends["li"]["error"])
        self.assert_no_secrets(run)


class TransformForApi(unittest.TestCase):
    """c42-transform splits lines for the API la-post posts to."""

    def longest_part(self, args, env=()):
        line = "é" * 50000  # 100,000 bytes
        p = subprocess.run([TRANSFORM] + list(args), input=encode([source_record("k", 0, line)]),
                           capture_output=True, timeout=TIMEOUT,
                           env=dict({k: v for k, v in os.environ.items()
                                     if not k.startswith("LA_")}, **dict(env)))
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [json.loads(r) for r in p.stdout.decode().splitlines()]
        self.assertEqual("".join(r["Raw_Data"] for r in rows), line)
        return max(len(r["Raw_Data"].encode()) for r in rows)

    def test_the_field_limit_follows_the_api(self):
        self.assertEqual(self.longest_part([]), 32000)
        self.assertEqual(self.longest_part(["--for-api", "ingestion"]), 64000)
        self.assertEqual(self.longest_part([], {"LA_API": "ingestion"}), 64000)
        self.assertEqual(self.longest_part(["--for-api", "data-collector"],
                                           {"LA_API": "ingestion"}), 32000)
        self.assertEqual(self.longest_part([], {"LA_DCR_ID": "dcr-" + "0" * 32}), 32000,
                         "a DCR alone does not choose: rows may go to both APIs")
        self.assertEqual(self.longest_part(["--for-api", "ingestion", "--max-field-bytes",
                                            "40000"]), 40000)


class StandInIsStrict(unittest.TestCase):
    """The Logs Ingestion API of the stand-in answers as the tests above
    rely on, whatever la-post does: it needs no token source of ours."""

    @classmethod
    def setUpClass(cls):
        shared = peers(TokenExpiry.TOKEN_LIFETIME)
        cls.entra, cls.la = shared.entra, shared.la

    def token(self, scope="https://monitor.azure.com/.default"):
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": self.entra.client_id,
            "client_secret": self.entra.client_secret, "scope": scope}).encode()
        req = urllib.request.Request("%s/%s/oauth2/v2.0/token" % (self.entra.base,
                                                                 self.entra.tenant),
                                     data=form, headers={"Content-Type":
                                                         "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["access_token"]

    def post(self, body, token=None, gzipped=True, dcr=None, stream=LogAnalytics.STREAM,
             query="api-version=2023-01-01"):
        """(status, error code or None) of one request."""
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if token is not False:
            headers["Authorization"] = "Bearer " + (token or self.token())
        url = "%s/dataCollectionRules/%s/streams/%s?%s" % (self.la.endpoint,
                                                           dcr or self.la.dcr_id, stream, query)
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, None
        except urllib.error.HTTPError as e:
            reply = json.loads(e.read())
            self.assertEqual(e.headers.get("x-ms-error-code"), reply["error"]["code"])
            return e.code, reply["error"]["code"], reply["error"]["message"]

    @staticmethod
    def array(size):
        """A JSON array of exactly `size` bytes, in values under the 64 KB limit."""
        records = []
        left = size - 2  # the brackets
        while left > 0:
            overhead = len('{"Key":"strict/size","Raw_Data":""}') + (1 if records else 0)
            n = min(50000, left - overhead)
            records.append('{"Key":"strict/size","Raw_Data":"%s"}' % ("x" * n))
            left -= overhead + n
        body = ("[" + ",".join(records) + "]").encode()
        assert len(body) == size, len(body)
        return body

    def test_plain_and_gzip_bodies_get_204(self):
        self.assertEqual(self.post(b'[{"Key":"strict/a"}]'), (204, None))
        self.assertEqual(self.post(b'[{"Key":"strict/b"}]', gzipped=False), (204, None))

    def test_one_megabyte_compressed_and_uncompressed(self):
        self.assertEqual(self.post(self.array(1000000), gzipped=False)[0], 204)
        self.assertEqual(self.post(self.array(1000001), gzipped=False)[:2],
                         (413, "ContentLengthLimitExceeded"))
        # Small gzip'd, too large once decompressed.
        self.assertEqual(self.post(self.array(1000001))[:2], (413, "ContentLengthLimitExceeded"))

    def test_tokens_are_checked(self):
        self.assertEqual(self.post(b"[{}]", token=False)[:2], (401, "InvalidToken"))
        self.assertEqual(self.post(b"[{}]", token="not.a.jwt")[:2], (401, "InvalidToken"))
        other_cloud = self.post(b"[{}]", token=self.token("https://monitor.azure.us/.default"))
        self.assertEqual(other_cloud[:2], (401, "InvalidToken"))
        self.assertIn("wrong audience", other_cloud[2])
        token = self.token()
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        time.sleep(max(0.0, claims["exp"] + 1.1 - time.time()))
        expired = self.post(b"[{}]", token=token)
        self.assertEqual(expired[:2], (401, "InvalidToken"))
        self.assertIn("expired", expired[2])

    def test_the_dcr_stream_and_version_must_match(self):
        self.assertEqual(self.post(b"[{}]", dcr="dcr-" + "0" * 32)[:2], (404, "NotFound"))
        self.assertEqual(self.post(b"[{}]", stream="Custom-Other_CL")[:2], (400, "InvalidStream"))
        self.assertEqual(self.post(b"[{}]", query="api-version=2021-11-01-preview")[:2],
                         (400, "InvalidApiVersion"))
        self.assertEqual(self.post(b"[{}]", query="")[:2], (400, "MissingApiVersion"))
        self.assertEqual(self.post(b'{"not":"an array"}')[:2], (400, "InvalidPayload"))
        self.assertEqual(self.post(b"[]")[:2], (400, "InvalidPayload"))


if __name__ == "__main__":
    unittest.main()
