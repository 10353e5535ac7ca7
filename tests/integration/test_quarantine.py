"""Poison messages against moto_server, through c42-ship: a message that
fails for a reason of its own (a corrupt gzip object, an object that is
gone) is kept until its receive count reaches C42_QUARANTINE_AFTER, then
written to the quarantine file and S3 prefix with its reason, receive count
and body, and only then deleted; a message that fails only because the run
could not reach Log Analytics is never quarantined; a quarantine that
cannot be written keeps the message.

Each run receives at most as many messages as are on the queue, and
C42_RELEASE=1 makes the kept ones visible again at once, so one run is one
receive of each message and the next run can follow at once."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import BIN_DIR, run_driver, run_tool  # noqa: E402


class Quarantine(peers.MotoCase):
    WITH_LA = True

    def ship(self, queue, messages, la_env=None, **settings):
        env = dict(self.moto.tool_env(), **(la_env or self.la.tool_env()))
        settings = dict({"SQS_QUEUE_URL": queue, "C42_BIN_DIR": BIN_DIR, "C42_RELEASE": 1,
                         "C42_QUARANTINE_AFTER": 2}, **settings)
        return run_driver(settings, env, ["--budget", "2", "--hard-limit", "4",
                                          "--max-messages-total", str(messages)], self.workdir)

    def quarantine_file(self):
        return os.path.join(self.workdir, "quarantine-%s.ndjson" % self.id().rsplit(".", 1)[-1])

    def read_lines(self, path):
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def stored(self, bucket, prefix):
        # Listed whole: moto signs a Prefix holding '/' differently.
        listed = self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {o["Key"]: json.loads(self.s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read())
                for o in listed if o["Key"].startswith(prefix) and o["Key"].endswith(".json")}

    def test_poison_messages_are_quarantined_then_deleted(self):
        q, bucket = self.new_queue(), self.new_bucket()
        good = "code42/good.json.gz"
        self.s3.put_object(Bucket=bucket, Key=good, Body=dataset.encode(["{\"a\":1}"]))
        corrupt = "code42/corrupt.json.gz"
        self.s3.put_object(Bucket=bucket, Key=corrupt,
                           Body=dataset.encode(["{\"b\":2}"] * 50)[:40] + b"not gzip at all")
        gone = "code42/gone.json.gz"
        bodies = {}
        for key in (good, corrupt, gone):
            bodies[key] = dataset.code42_body(bucket, key)
            self.sqs.send_message(QueueUrl=q, MessageBody=bodies[key])
        path = self.quarantine_file()
        settings = {"C42_QUARANTINE_FILE": path,
                    "C42_QUARANTINE_S3": "s3://%s/c42-quarantine" % bucket}

        status, stats, err = self.ship(q, 3, **settings)
        self.assertEqual(status, 1, err)
        self.assertEqual((stats["messages_deleted"], stats["messages_quarantined"],
                          stats["messages_released"]), (1, 0, 2), err)
        self.assertEqual(self.read_lines(path), [], "received once: below the threshold")
        self.assertEqual(self.stored(bucket, "c42-quarantine/"), {})

        status, stats, err = self.ship(q, 2, **settings)
        self.assertEqual(status, 1, err)
        self.assertEqual((stats["messages_received"], stats["messages_quarantined"],
                          stats["messages_kept"]), (2, 2, 0), err)
        self.assertEqual(self.queue_counts(q), (0, 0), "deleted once stored")
        entries = {json.loads(e["body"])["Object Key"]: e for e in self.read_lines(path)}
        self.assertEqual(sorted(entries), sorted([corrupt, gone]))
        for key, entry in entries.items():
            self.assertEqual(entry["body"], bodies[key], "byte for byte")
            self.assertEqual(entry["receive_count"], 2)
            self.assertEqual(entry["queue_url"], q)
            self.assertIn(key, entry["reason"])
            self.assertNotIn("receipt_handle", entry)
        self.assertIn("NoSuchKey", entries[gone]["reason"])
        objects = self.stored(bucket, "c42-quarantine/")
        self.assertEqual(objects, {"c42-quarantine/%s.json" % e["message_id"]: e
                                   for e in entries.values()})

    def test_failures_of_the_run_never_count(self):
        # Log Analytics unreachable: every message fails, each time, but
        # for the run's reason; quarantining from the first receive on.
        q, bucket = self.new_queue(), self.new_bucket()
        dataset.publish(self.s3, self.sqs, q, bucket, 1, lines_per_object=5)
        path = self.quarantine_file()
        unreachable = dict(self.la.tool_env(), LA_ENDPOINT="http://127.0.0.1:%d"
                           % peers.free_port())
        for _ in range(2):
            status, stats, err = self.ship(q, 1, la_env=unreachable, C42_QUARANTINE_AFTER=1,
                                           C42_QUARANTINE_FILE=path)
            self.assertNotEqual(status, 0, err)
            self.assertEqual(stats["messages_received"], 1, err)
            self.assertEqual(stats["messages_quarantined"], 0, err)
        self.assertEqual(self.read_lines(path), [])
        got = self.sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0,
                                       AttributeNames=["ApproximateReceiveCount"])["Messages"]
        self.assertEqual(got[0]["Attributes"]["ApproximateReceiveCount"], "3",
                         "kept through two runs, as often received")

    def test_a_quarantine_that_cannot_be_written_keeps_the_message(self):
        # The shipper may put objects only under c42-quarantine/.
        q, bucket = self.new_queue(), self.new_bucket()
        self.sqs.send_message(QueueUrl=q, MessageBody="not a notification")
        settings = {"C42_QUARANTINE_AFTER": 1,
                    "C42_QUARANTINE_S3": "s3://%s/elsewhere" % bucket}
        status, stats, err = self.ship(q, 1, **settings)
        self.assertEqual(status, 1, err)
        self.assertEqual(stats["messages_quarantined"], 0, err)
        self.assertIn("quarantine failed", err)
        self.assertIn("AccessDenied", err)
        self.assertEqual(self.queue_counts(q), (1, 0), "kept, and released")
        self.assertEqual(self.stored(bucket, ""), {})

    def test_sqs_ack_refuses_a_partial_quarantine_setting(self):
        cases = [
            (["--quarantine-after", "3"], 2, "needs --quarantine-file or --quarantine-s3"),
            (["--quarantine-file", self.quarantine_file()], 2, "need --quarantine-after"),
            (["--quarantine-after", "0", "--quarantine-file", "x"], 2, "--quarantine-after"),
            (["--quarantine-after", "3", "--quarantine-s3", "s3://bucket-only"], 2,
             "not an s3://bucket/prefix"),
            (["--quarantine-after", "3", "--quarantine-file", "/nonexistent-dir/q.ndjson"], 4,
             "cannot open quarantine file /nonexistent-dir/q.ndjson"),
        ]
        for args, status, said in cases:
            r = run_tool("sqs-ack", args + ["--check-config"], env=self.env)
            self.assertEqual(r.returncode, status, (args, r.stderr))
            self.assertIn(said, r.stderr.decode() if isinstance(r.stderr, bytes) else r.stderr)


if __name__ == "__main__":
    unittest.main()
