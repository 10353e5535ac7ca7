"""What an operator can try without risk: la-post --output writes exactly
the request bodies it would send and posts nothing; c42-ship --dry-run
receives, fetches and transforms, posts, deletes and quarantines nothing,
and releases the messages at once. Against moto_server and the Log
Analytics stand-in on 127.0.0.1, through both Log Analytics APIs."""

import json
import os
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
from test_observe import ObserveCase  # noqa: E402
from test_pipeline import reassemble  # noqa: E402
from tools import controls, lines_of, run_tool  # noqa: E402


class DryRun(ObserveCase):
    def stream(self, records):
        ref = {"queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
               "message_id": "m-1", "receipt_handle": "rh-1"}
        lines = [dict({"@c42": "begin"}, **ref)]
        lines += records
        lines.append(dict({"@c42": "end", "ok": True, "fetched": 1, "records": len(records)},
                          **ref))
        return "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)

    def test_la_post_output_writes_the_bodies_it_would_send_and_posts_nothing(self):
        records = [{"Key": "k", "Raw_Data": "line %d \u00e9 \\ \"q\"" % i, "n": i}
                   for i in range(5)]
        for api, env in [("data-collector", self.la.tool_env()), ("ingestion", {})]:
            with self.subTest(api=api):
                out_file = os.path.join(self.workdir, "bodies-%s.ndjson" % api)
                with open(out_file, "w") as f:
                    f.write("left from before\n")
                # The Data Collector API's real settings are at hand: still
                # nothing is posted. For ingestion there are none at all.
                r = run_tool("la-post", ["--api", api, "--output", out_file,
                                         "--chunk-records", "2"],
                             input=self.stream(records), env=env)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stderr, b"")
                with open(out_file, "rb") as f:
                    written = f.read()
                bodies = written.decode().split("\n")
                self.assertEqual(bodies[-1], "", "each body ends with a line feed")
                bodies = bodies[:-1]
                rows = [json.dumps(rec, separators=(",", ":")) for rec in records]
                # Chunks are sent by parallel workers, so their bodies may
                # come in any order; each is whole.
                self.assertEqual(sorted(bodies), sorted(["[%s,%s]" % (rows[0], rows[1]),
                                                         "[%s,%s]" % (rows[2], rows[3]),
                                                         "[%s]" % rows[4]]))
                out = lines_of(r.stdout)
                end = controls(out, "end")[0]
                self.assertIs(end["ok"], False, "sqs-ack must not delete it")
                self.assertEqual(end["delivered"], 0)
                self.assertEqual(end["written"], 5)
                self.assertEqual(end["interrupted"], "dry-run")
                self.assertIn(out_file, end["error"])
                summary = controls(out, "stats")[0]
                self.assertEqual(summary["records_posted"], 0)
                self.assertEqual(summary["records_written"], 5)
                self.assertEqual(summary["bytes_written"], len(written) - len(bodies))
        self.assertEqual(self.posted_requests(), 0)

    def dry_run(self, api, output_args, expected_file):
        published = self.publish(3)
        settings = {"LA_API": api} if api == "ingestion" else {}
        # No Log Analytics setting at all: a dry run needs none.
        status, stats = self.ship(["--json"] + output_args, la=False, **settings)
        self.assertEqual(status, 0, self.err)
        self.assertEqual(self.posted_requests(), 0)
        # Released, not deleted and not left hidden for the visibility
        # timeout (here the default, over five minutes).
        self.assertEqual(self.queue_counts(), (3, 0))
        self.assertEqual(stats["messages_received"], 3)
        self.assertEqual(stats["messages_deleted"], 0)
        self.assertEqual(stats["messages_released"], 3)
        self.assertEqual(stats["messages_quarantined"], 0)
        self.assertIs(stats["dry_run"], True)
        self.assertEqual(stats["records_sent"], 0)
        self.assertEqual(stat.S_IMODE(os.stat(expected_file).st_mode), 0o600,
                         "the rows are not for everyone's eyes")
        with open(expected_file, encoding="utf-8") as f:
            bodies = [json.loads(line) for line in f]
        rows = [row for body in bodies for row in body]
        self.assertEqual(stats["records_written"], len(rows))
        self.assertEqual(stats["bytes_sent"], os.path.getsize(expected_file) - len(bodies))
        stored = reassemble(rows)
        expected = {(key, line) for key, lines in published.items() for line in lines}
        self.assertEqual(set(stored), expected, "every line, byte for byte, in the bodies")
        return rows

    def test_dry_run_through_the_data_collector_api(self):
        target = os.path.join(self.workdir, "dc.ndjson")
        self.dry_run("data-collector", ["--dry-run-output", target], target)

    def test_dry_run_through_the_logs_ingestion_api_to_the_default_file(self):
        rows = self.dry_run("ingestion", ["--dry-run"],
                            os.path.join(self.workdir, "c42-ship-dry-run.ndjson"))
        # The rows have the ingestion shape (c42-transform --for-api).
        self.assertTrue(rows)

    def test_dry_run_quarantines_nothing(self):
        # An announcement of a missing object fails for a reason of its own;
        # with the quarantine on it would be stored and deleted by a real run.
        self.sqs.send_message(QueueUrl=self.queue,
                              MessageBody=dataset.code42_body(self.bucket, "missing.json.gz"))
        qfile = os.path.join(self.workdir, "quarantine.ndjson")
        cmd, env = self.driver(["--json", "--dry-run-output", os.path.join(self.workdir, "b")],
                               la=False, C42_QUARANTINE_AFTER=1, C42_QUARANTINE_FILE=qfile)
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=90)
        stats = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(r.returncode, 1, "the object would have failed")
        self.assertEqual(stats["messages_released"], 1)
        self.assertEqual(stats["messages_quarantined"], 0)
        self.assertFalse(os.path.exists(qfile) and os.path.getsize(qfile))
        self.assertEqual(self.queue_counts(), (1, 0))

    def test_dry_run_needs_a_budget(self):
        cmd, env = self.driver(["--dry-run", "--budget", "0"], la=False)
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--dry-run needs a budget", r.stderr.decode())

    def test_dry_run_output_must_be_a_file(self):
        self.publish(1)
        cmd, env = self.driver(["--dry-run-output", self.workdir], la=False)
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 4)
        self.assertRegex(r.stderr.decode(), r"^c42-ship: error: .*is a directory\n$")
        cmd, env = self.driver(["--dry-run-output", os.path.join(self.workdir, "no", "b")],
                               la=False)
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 4)
        self.assertRegex(r.stderr.decode(), r"^c42-ship: error: cannot write --dry-run-output")
        self.assertEqual(self.queue_counts(), (1, 0), "nothing was received")


if __name__ == "__main__":
    unittest.main()
