"""The whole job end to end: scripts/c42-ship against moto_server and the
Log Analytics stand-in, including failures, faults and a kill -9."""

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import BIN_DIR, DRIVER  # noqa: E402


def reassemble(rows):
    """Store rows -> Counter of (Key, original line), joining split parts."""
    lines = collections.Counter()
    parts = collections.defaultdict(dict)
    counts = {}
    for row in rows:
        # Whole rows carry a Record_Id too with c42-transform --row-id.
        if "Part_Number" in row:
            parts[row["Record_Id"]][row["Part_Number"]] = row
            counts[row["Record_Id"]] = row["Part_Count"]
        else:
            lines[(row["Key"], row["Raw_Data"])] += 1
    for rid, got in parts.items():
        if len(got) != counts[rid]:
            continue  # incomplete record: not delivered
        ordered = [got[n] for n in sorted(got)]
        lines[(ordered[0]["Key"], "".join(p["Raw_Data"] for p in ordered))] += 1
    return lines


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="c42-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.moto = peers.Moto(os.path.join(self.workdir, "moto.log"))
        self.addCleanup(self.moto.stop)
        self.la = peers.LogAnalytics(self.workdir)
        self.addCleanup(self.la.stop)
        self.s3 = self.moto.client("s3")
        self.sqs = self.moto.client("sqs")
        self.bucket, self.queue = dataset.new_bucket_and_queue(self.s3, self.sqs)

    def publish(self, objects, lines_per_object=150, long_every=0):
        self.published = dataset.publish(self.s3, self.sqs, self.queue, self.bucket, objects,
                                         lines_per_object=lines_per_object, long_every=long_every)
        return self.published

    def config(self, **extra):
        settings = {"SQS_QUEUE_URL": self.queue, "LA_LOG_TYPE": "Code42Logs",
                    "C42_BIN_DIR": BIN_DIR}
        settings.update(extra)
        path = os.path.join(self.workdir, "c42-ship.env")
        with open(path, "w") as f:
            f.write("# test settings\n")
            for k, v in settings.items():
                f.write("%s=%s\n" % (k, v))
        return path

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LA_", "C42_"))}
        env.update(self.moto.tool_env())
        env.update(self.la.tool_env())
        return env

    def start(self, *args, **settings):
        return subprocess.Popen([DRIVER, "--config", self.config(**settings), "--json", *args],
                                env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run_ship(self, *args, timeout=240, **settings):
        proc = self.start(*args, **settings)
        out, err = proc.communicate(timeout=timeout)
        self.stderr = err.decode()
        stats = json.loads(out.decode().strip().splitlines()[-1]) if out.strip() else None
        return proc.returncode, stats

    def queue_depth(self):
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def remaining_keys(self):
        """Keys of the messages still on the queue (once visible again)."""
        keys = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0, VisibilityTimeout=60)
            msgs = got.get("Messages", [])
            if not msgs:
                return keys
            keys += [json.loads(m["Body"])["Object Key"] for m in msgs]

    def assert_all_delivered(self, keys):
        stored = reassemble(self.la.records())
        for key in keys:
            for line in self.published[key]:
                self.assertGreaterEqual(stored[(key, line)], 1,
                                        "a line of %s did not arrive intact" % key)

    def assert_nothing_lost(self, remaining):
        """Every message that left the queue had all its lines delivered."""
        gone = set(self.published) - set(remaining)
        self.assert_all_delivered(gone)
        return gone

    def test_every_line_arrives_byte_exact_and_the_queue_empties(self):
        self.publish(20, lines_per_object=150, long_every=60)
        status, stats = self.run_ship()
        self.assertEqual(status, 0, self.stderr)
        self.assertEqual(stats["messages_received"], 20)
        self.assertEqual(stats["messages_deleted"], 20)
        self.assertEqual(stats["messages_kept"], 0)
        self.assertEqual(stats["objects_fetched"], 20)
        self.assertEqual(stats["objects_failed"], 0)
        rows = self.la.records()
        self.assertEqual(stats["records_sent"], len(rows))
        stored = reassemble(rows)
        expected = collections.Counter((k, line) for k, ls in self.published.items() for line in ls)
        self.assertEqual(stored, expected)
        self.assertTrue(any("Record_Id" in r for r in rows), "long lines should have been split")
        self.assertEqual({r["Bucket_Name"] for r in rows}, {self.bucket})
        self.assertEqual(self.queue_depth(), 0)

    def test_a_permanently_failing_chunk_keeps_exactly_its_message(self):
        self.publish(8, lines_per_object=120)
        bad_key = sorted(self.published)[3]
        # Refused for its data, which no retry cures (a 500 is retried until
        # the hard limit; test_fault_storms.py has that case).
        self.la.set_rules([{"match": bad_key, "status": 400, "error": "InvalidDataFormat",
                            "times": -1}])
        # One object at a time, so no other message's span touches the chunk.
        status, stats = self.run_ship(C42_PARALLEL=1, C42_RELEASE=1)
        self.assertEqual(status, 1, self.stderr)
        self.assertEqual(stats["messages_deleted"], 7)
        # A released message may be received again within the same run (that
        # is what releasing is for), so count keys, not receipts.
        self.assertGreaterEqual(stats["messages_kept"], 1, self.stderr)
        self.assertEqual(self.remaining_keys(), [bad_key])
        self.assert_all_delivered(set(self.published) - {bad_key})

    def test_transient_errors_still_deliver_everything(self):
        self.publish(10, lines_per_object=100)
        self.la.set_rules([{"status": 500, "times": 3}, {"status": 429, "retry_after": 1, "times": 2},
                           {"status": 503, "times": 1}])
        status, stats = self.run_ship()
        self.assertEqual(status, 0, self.stderr)
        self.assertEqual(stats["messages_deleted"], 10)
        self.assertEqual(self.queue_depth(), 0)
        self.assert_all_delivered(self.published)
        by_status = self.la.stats()["by_status"]
        self.assertGreaterEqual(by_status.get("500", 0), 3)
        self.assertGreaterEqual(by_status.get("429", 0), 2)

    def test_kill_9_of_la_post_deletes_nothing_undelivered(self):
        self.publish(20, lines_per_object=100)
        self.la.set_rules([{"delay": 0.4, "times": -1}])
        started = time.time()
        # The visibility timeout must cover the hard limit and its grace.
        proc = self.start("--budget", "1", "--hard-limit", "8", C42_VISIBILITY_TIMEOUT=18)
        la_post = None
        deadline = time.time() + 60
        while time.time() < deadline and la_post is None:
            if self.la.stats()["records_accepted"] > 0:
                found = subprocess.run(["pgrep", "-P", str(proc.pid), "-x", "la-post"],
                                       capture_output=True, text=True).stdout.split()
                la_post = int(found[0]) if found else None
            time.sleep(0.05)
        self.assertIsNotNone(la_post, "la-post never delivered anything")
        os.kill(la_post, signal.SIGKILL)
        out, err = proc.communicate(timeout=60)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("la-post", err.decode())
        time.sleep(max(0.0, started + 19 - time.time()))  # let kept messages reappear
        remaining = self.remaining_keys()
        self.assertGreater(len(remaining), 0, "the kill came too late to test anything")
        self.assert_nothing_lost(remaining)

    def test_hard_limit_stops_the_run_without_losing_anything(self):
        self.publish(12, lines_per_object=50)
        self.la.set_rules([{"delay": 3, "times": -1}])
        started = time.time()
        status, stats = self.run_ship("--budget", "1", "--hard-limit", "2",
                                      C42_VISIBILITY_TIMEOUT=12, C42_RELEASE=1)
        self.assertEqual(status, 124, "%s %s %s" % (stats, self.stderr, self.la.stats()))
        self.assertTrue(stats["hard_limit_struck"])
        self.assertLess(time.time() - started, 30)
        self.assertIn("hard limit", self.stderr)
        # Deleted messages were all delivered; the rest will come back.
        self.assert_nothing_lost(self.remaining_keys_after_release())
        self.assertEqual(stats["messages_deleted"] + self.queue_depth(), 12)

    def remaining_keys_after_release(self):
        # Messages whose end never came stay invisible until the timeout;
        # make them visible now to read their keys.
        keys = []
        for _ in range(40):
            keys += self.remaining_keys()
            if self.queue_depth() == len(keys):
                break
            time.sleep(1)
        return keys


if __name__ == "__main__":
    unittest.main()
