"""The tools at their limits, against real peers where they exist: numbers
and settings checked before any work, endpoints that accept and never
answer, the run's deadline, a record too large for the stream, and the
stages' edge cases (empty endpoint override, a key file that is a
directory, CRLF reference lists, thread limits).

Each test names the defect it guards; all of them failed before the fix."""

import gzip
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import controls, lines_of, records, run_tool, tool_path  # noqa: E402

# Generous bounds for "it does not hang": the limits under test are a few
# seconds, a hang would be minutes.
PROMPT = 20


class LoopbackServer:
    """A misbehaving peer on 127.0.0.1: accepts every connection and hands
    it to handle() on a thread of its own; close() drops them all."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.held = []
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            self.handle(conn)
        except OSError:
            pass

    def handle(self, conn):
        raise NotImplementedError

    def close(self):
        self.stopped = True
        self.sock.close()
        for conn in self.held:
            conn.close()


class SilentServer(LoopbackServer):
    """Never answers: the endpoint that once held a tool for minutes."""

    def handle(self, conn):
        pass


class EndlessBodyServer(LoopbackServer):
    """Answers every request with 200 and a body that never ends: a peer
    that would make a tool buffer without limit."""

    def handle(self, conn):
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n\r\n")
        chunk = b" " * 65536
        while not self.stopped:
            conn.sendall(chunk)


def timed(name, args, **kwargs):
    start = time.monotonic()
    r = run_tool(name, args, **kwargs)
    return r, time.monotonic() - start


def one_line_error(testcase, r, tool, *needles):
    err = r.stderr.decode()
    testcase.assertEqual(len(err.strip().splitlines()), 1, err)
    testcase.assertTrue(err.startswith(tool + ": error: "), err)
    for needle in needles:
        testcase.assertIn(needle, err)
    return err


AWS_OFFLINE = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-not-shown",
               "AWS_REGION": "us-east-1"}
LA_OFFLINE = {"LA_WORKSPACE_ID": "12345678-90ab-cdef-1234-567890abcdef",
              "LA_SHARED_KEY": "c2VjcmV0LWtleS1mb3ItdGVzdHM=", "LA_LOG_TYPE": "Code42Logs"}


class NumbersAndSettingsTest(unittest.TestCase):
    """Item 11 and 13: values are checked strictly, with the range in the
    message; item 5: an empty endpoint override never means production."""

    def test_numbers_that_once_slipped_through_are_usage_errors(self):
        env = dict(AWS_OFFLINE, SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/q")
        cases = [
            ("sqs-poll", ["--budget", "1e10"], "seconds from 0 to 604800"),
            ("sqs-poll", ["--budget", "nan"], "seconds from 0 to 604800"),
            ("sqs-poll", ["--budget", "-1"], "seconds from 0 to 604800"),
            ("sqs-poll", ["--max-messages-total", "-1"], "whole number from 0 to 1000000000"),
            ("sqs-poll", ["--max-messages-total", "99999999999999999999999"], "whole number"),
            ("sqs-poll", ["--deadline", "99999999999"], "out of range"),
            ("sqs-poll", ["--visibility-timeout", "43201"], "0 to 43200"),
            ("sqs-poll", ["--until-empty", "--visibility-timeout", "0"], "again and again"),
            ("s3-fetch", ["--parallel", "0"], "whole number from 1 to 64"),
            ("s3-fetch", ["--skip-before", "today"], "--skip-older-than"),
            ("s3-fetch", ["--skip-older-than", "1w"], "not a duration"),
            ("s3-fetch", ["--stall-timeout", "inf"], "seconds from 1 to 3600"),
            ("sqs-ack", ["--release=5"], "--release takes no value"),
            ("la-post", ["--chunk-records", "1e3"], "whole number from 1 to 10000"),
            ("la-post", ["--endpoint", ""], "--endpoint must not be empty"),
            ("c42-transform", ["--max-field-bytes", "0x1000"], "whole number"),
        ]
        for tool, args, needle in cases:
            with self.subTest(tool=tool, args=args):
                r = run_tool(tool, args, env=dict(env, **LA_OFFLINE))
                self.assertEqual(r.returncode, 2, r.stderr)
                one_line_error(self, r, tool, needle, "try '%s --help'" % tool)
                self.assertEqual(r.stdout, b"")

    def test_empty_la_endpoint_variable_is_a_configuration_error(self):
        r = run_tool("la-post", ["--check-config"], env=dict(LA_OFFLINE, LA_ENDPOINT=""))
        self.assertEqual(r.returncode, 4, r.stderr)
        one_line_error(self, r, "la-post", "LA_ENDPOINT is set but empty")

    def test_shared_key_file_that_is_a_directory(self):
        env = {k: v for k, v in LA_OFFLINE.items() if k != "LA_SHARED_KEY"}
        with tempfile.TemporaryDirectory() as d:
            r = run_tool("la-post", ["--shared-key-file", d, "--check-config"], env=env)
        self.assertEqual(r.returncode, 4, r.stderr)
        one_line_error(self, r, "la-post", "is a directory")

    def test_check_config_reads_nothing_and_contacts_nobody(self):
        # An endpoint nobody listens on: a connection attempt would fail.
        env = dict(AWS_OFFLINE, **LA_OFFLINE, AWS_ENDPOINT_URL="http://127.0.0.1:9",
                   LA_ENDPOINT="http://127.0.0.1:9",
                   SQS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/q")
        for tool in ["sqs-poll", "s3-fetch", "c42-transform", "la-post", "sqs-ack"]:
            with self.subTest(tool=tool):
                r = run_tool(tool, ["--check-config"], input="not a stream line\n", env=env)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual((r.stdout, r.stderr), (b"", b""))
        # Without it, instance metadata would be the chosen source, which
        # --check-config cannot ask.
        r = run_tool("s3-fetch", ["--check-config"],
                     env={"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
        self.assertEqual(r.returncode, 4)
        one_line_error(self, r, "s3-fetch", "AWS_ACCESS_KEY_ID")

    @unittest.skipIf(os.environ.get("C42_SANITIZE"),
                     "AddressSanitizer needs more address space than the limit this test sets")
    def test_too_many_threads_is_one_line_and_status_70(self):
        # Each worker's stack needs address space; 64 of them do not fit.
        env = dict(AWS_OFFLINE, AWS_ENDPOINT_URL="http://127.0.0.1:9")
        full_env = dict(os.environ, **env)
        r = subprocess.run(["bash", "-c", 'ulimit -v 300000; exec "$0" "$@"',
                            tool_path("s3-fetch"), "--parallel", "64", "s3://b/k"],
                           env=full_env, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 70, r.stderr)
        one_line_error(self, r, "s3-fetch", "cannot start worker thread")


class SilentEndpointTest(unittest.TestCase):
    """Item 12: an endpoint that accepts and never answers no longer holds a
    tool for minutes: the stall limit and the run's deadline bound it."""

    def setUp(self):
        self.server = SilentServer()
        self.addCleanup(self.server.close)

    def deadline(self, seconds):
        return str(int(time.time()) + seconds)

    def test_s3_fetch_stops_at_the_deadline(self):
        env = dict(AWS_OFFLINE, AWS_ENDPOINT_URL=self.server.url)
        r, took = timed("s3-fetch", ["--stall-timeout", "60", "--deadline", self.deadline(3),
                                     "s3://bucket/key"], env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertLess(took, PROMPT)
        self.assertIn("s3://bucket/key", r.stderr.decode())

    def test_s3_fetch_stall_limit_fails_each_attempt(self):
        env = dict(AWS_OFFLINE, AWS_ENDPOINT_URL=self.server.url)
        r, took = timed("s3-fetch", ["--stall-timeout", "1", "s3://bucket/key"], env=env)
        self.assertEqual(r.returncode, 1, r.stderr)
        # Six stalled attempts of a second and their backoff (at most 7.75 s).
        self.assertLess(took, PROMPT)
        err = r.stderr.decode()
        self.assertIn("(after 6 attempts)", err)
        self.assertNotIn("attempts) (after", err)

    def test_sqs_poll_and_sqs_ack_stop_at_the_deadline(self):
        env = dict(AWS_OFFLINE, AWS_ENDPOINT_URL=self.server.url)
        r, took = timed("sqs-poll", ["--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q",
                                     "--wait", "1", "--stall-timeout", "1",
                                     "--deadline", self.deadline(2)], env=env)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertLess(took, PROMPT)
        m = {"queue_url": "https://sqs.us-east-1.amazonaws.com/1/q", "message_id": "m",
             "receipt_handle": "rh"}
        lines = [dict({"@c42": "begin"}, **m),
                 dict({"@c42": "end", "ok": True, "delivered": 1}, **m)]
        r, took = timed("sqs-ack", ["--stall-timeout", "30", "--deadline", self.deadline(2)],
                        input="".join(json.dumps(x) + "\n" for x in lines), env=env)
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertLess(took, PROMPT)
        self.assertEqual(lines_of(r.stdout)[0]["action"], "delete-failed")

    def test_la_post_stall_limit_and_deadline(self):
        env = dict(LA_OFFLINE, LA_ENDPOINT=self.server.url)
        m = {"queue_url": "q", "message_id": "m", "receipt_handle": "rh"}
        stream = "".join(json.dumps(x) + "\n" for x in [
            dict({"@c42": "begin"}, **m), {"Raw_Data": "x"},
            dict({"@c42": "end", "ok": True}, **m)])
        r, took = timed("la-post", ["--stall-timeout", "1", "--max-attempts", "2"],
                        input=stream, env=env)
        self.assertEqual(r.returncode, 5, r.stderr)  # no answer at all: unreachable
        self.assertLess(took, PROMPT)
        end = controls(lines_of(r.stdout), "end")[0]
        self.assertFalse(end["ok"])
        r, took = timed("la-post", ["--stall-timeout", "60", "--deadline", self.deadline(2)],
                        input=stream, env=env)
        self.assertEqual(r.returncode, 1, r.stderr)  # out of time is no service fault
        self.assertLess(took, PROMPT)
        self.assertFalse(controls(lines_of(r.stdout), "end")[0]["ok"])
        self.assertIn("deadline", r.stderr.decode())


class BoundedReplyTest(unittest.TestCase):
    """Item 12: a reply that is read whole is capped."""

    def test_an_endless_reply_fails_the_call_instead_of_filling_memory(self):
        server = EndlessBodyServer()
        self.addCleanup(server.close)
        m = {"queue_url": "https://sqs.us-east-1.amazonaws.com/1/q", "message_id": "m",
             "receipt_handle": "rh"}
        lines = [dict({"@c42": "begin"}, **m),
                 dict({"@c42": "end", "ok": True, "delivered": 1}, **m)]
        r, took = timed("sqs-ack", [], input="".join(json.dumps(x) + "\n" for x in lines),
                        env=dict(AWS_OFFLINE, AWS_ENDPOINT_URL=server.url))
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertLess(took, PROMPT)
        self.assertIn("response body larger than 1048576 bytes", r.stderr.decode())
        self.assertEqual(lines_of(r.stdout)[0]["action"], "delete-failed")


class TerminationTest(unittest.TestCase):
    """Item 9, the stages' part: SIGTERM stops the sources promptly and
    cleanly, with status 130."""

    def setUp(self):
        self.server = SilentServer()
        self.addCleanup(self.server.close)

    def start(self, tool, args, stdin_text=""):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LA_", "C42_"))}
        env.update(AWS_OFFLINE, AWS_ENDPOINT_URL=self.server.url)
        proc = subprocess.Popen([tool_path(tool)] + args, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        if stdin_text:
            proc.stdin.write(stdin_text.encode())
            proc.stdin.flush()
        return proc

    def terminate(self, proc):
        """SIGTERM once the tool waits on the silent peer; it must end with
        130 within a few seconds. Returns (stdout, stderr)."""
        time.sleep(1.5)
        start = time.monotonic()
        proc.terminate()
        out, err = proc.communicate(timeout=PROMPT)
        self.assertEqual(proc.returncode, 130, err)
        self.assertLess(time.monotonic() - start, 5)
        return out, err

    def test_sqs_poll_abandons_its_long_poll(self):
        proc = self.start("sqs-poll", ["--queue-url", "https://sqs.us-east-1.amazonaws.com/1/q",
                                       "--wait", "20"])
        self.assertEqual(self.terminate(proc), (b"", b""))

    def test_s3_fetch_ends_every_message_it_began(self):
        message = {"@c42": "message", "queue_url": "q", "message_id": "m1", "receipt_handle": "r1",
                   "receive_count": 1, "body": dataset.code42_body("bucket", "key")}
        proc = self.start("s3-fetch", [], json.dumps(message) + "\n")
        out, _ = self.terminate(proc)
        lines = lines_of(out)
        self.assertEqual([x["@c42"] for x in lines], ["begin", "end"])
        self.assertFalse(lines[1]["ok"])
        self.assertIn("interrupted", lines[1]["error"])


class PoisonRecordTest(peers.MotoCase):
    """Item 3: a 12 MiB line of control bytes once became a 75 MB record
    that c42-transform refused, stopping the run on every message (16
    received, 0 deleted). Now it fails only its own message."""

    WITH_LA = True

    def test_one_poison_line_fails_its_message_and_the_rest_is_shipped(self):
        s3, sqs = self.s3, self.sqs
        bucket, queue = self.new_bucket(), self.new_queue()
        published = dataset.publish(s3, sqs, queue, bucket, 15, lines_per_object=20)
        poison_key = "code42/poison.json.gz"
        s3.put_object(Bucket=bucket, Key=poison_key, Body=gzip.compress(
            b'{"before":1}\n' + b"\x01" * (12 << 20) + b'\n{"after":1}\n'))
        sqs.send_message(QueueUrl=queue, MessageBody=dataset.code42_body(bucket, poison_key))

        env = dict(os.environ, **self.moto.tool_env(), **self.la.tool_env(),
                   LA_LOG_TYPE="Code42Logs", SQS_QUEUE_URL=queue)
        for k in list(env):
            if k.startswith("C42_"):
                del env[k]
        # The user raised s3-fetch's line limit: the line passes it, but its
        # record would not fit the stream, so s3-fetch fails the object.
        pipeline = ('"$1/sqs-poll" --until-empty --wait 0 --visibility-timeout 300 | '
                    '"$1/s3-fetch" --max-line-bytes 16777216 | "$1/c42-transform" | '
                    '"$1/la-post" | "$1/sqs-ack"; echo "${PIPESTATUS[*]}" >&2')
        bin_dir = os.path.dirname(tool_path("sqs-poll"))
        r = subprocess.run(["bash", "-c", pipeline, "pipeline", bin_dir], env=env,
                           capture_output=True, timeout=300)
        err = r.stderr.decode()
        statuses = err.strip().splitlines()[-1].split()
        # s3-fetch, la-post and sqs-ack report the failed message (1); nobody
        # stops.
        self.assertEqual(statuses, ["0", "1", "0", "1", "1"], err)
        self.assertIn("stream limit", err)
        results = [x for x in lines_of(r.stdout) if x.get("@c42") == "result"]
        self.assertEqual(len(results), 16)
        kept = [x for x in results if x["action"] != "deleted"]
        self.assertEqual(len(kept), 1, kept)
        self.assertIn("stream limit", kept[0]["reason"])
        stored = {(row["Key"], row["Raw_Data"]) for row in self.la.records()}
        for key, lines in published.items():
            for line in lines:
                self.assertIn((key, line), stored)


class S3FetchEdgesTest(peers.MotoCase):
    """Items 1 and 13 against moto: the age rule follows the message's
    SentTimestamp; a CRLF reference list names the right keys."""

    def setUp(self):
        self.bucket = self.new_bucket()

    def test_crlf_reference_lines_name_keys_without_the_cr(self):
        self.s3.put_object(Bucket=self.bucket, Key="a.json", Body=b'{"a":1}\n')
        self.s3.put_object(Bucket=self.bucket, Key="b.json", Body=b'{"b":1}\n')
        refs = "s3://%s/a.json\r\ns3://%s/b.json\r\n" % (self.bucket, self.bucket)
        r = run_tool("s3-fetch", ["--parallel", "1"], input=refs, env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([x["key"] for x in records(lines_of(r.stdout))], ["a.json", "b.json"])

    def test_age_rule_is_measured_from_the_message_sent_time(self):
        queue = self.new_queue()
        self.s3.put_object(Bucket=self.bucket, Key="fresh.json", Body=b'{"f":1}\n')
        self.sqs.send_message(QueueUrl=queue,
                              MessageBody=dataset.code42_body(self.bucket, "fresh.json"))
        polled = run_tool("sqs-poll", ["--queue-url", queue, "--wait", "0",
                                       "--visibility-timeout", "0", "--max-messages-total", "1"],
                          env=self.env)
        self.assertEqual(polled.returncode, 0, polled.stderr)
        message = lines_of(polled.stdout)[0]
        self.assertTrue(message["sent_at"])
        # Fresh relative to its message: shipped however late the run is.
        r = run_tool("s3-fetch", ["--skip-older-than", "1h"],
                     input=json.dumps(message) + "\n", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(controls(lines_of(r.stdout), "end")[0]["fetched"], 1)
        # The same message as if it had been sent two days after the object
        # was written: skipped, counted, and summarised in one line.
        late = dict(message, sent_at="2200-01-03T00:00:00.000Z")
        r = run_tool("s3-fetch", ["--skip-older-than", "1d"],
                     input=json.dumps(late) + "\n", env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        end = controls(lines_of(r.stdout), "end")[0]
        self.assertEqual((end["fetched"], end["skipped"], end["ok"]), (0, 1, True))
        err = r.stderr.decode()
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("s3-fetch: warning: skipped 1 object", err)
        self.assertIn("fresh.json", err)


if __name__ == "__main__":
    unittest.main()
