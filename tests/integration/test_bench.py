"""The benchmark (bench/run, bench/suite.py) on a tiny data set: its data is
deterministic and as awkward as bench/README.md says, and a run measures
every row of its table and delivers everything. Figures are never asserted,
only that they were measured on a run that shipped every line."""

import base64
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import shutil
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import BIN_DIR, SOURCE_DIR  # noqa: E402

sys.path.insert(0, os.path.join(SOURCE_DIR, "bench"))
import suite  # noqa: E402


class Data(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="c42-bench-data-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def objects(self, directory, manifest):
        out = []
        for o in manifest["objects"]:
            with open(os.path.join(directory, o["file"]), "rb") as f:
                out.append(gzip.decompress(f.read()))
        return out

    def test_same_seed_same_bytes_and_the_manifest_adds_up(self):
        first = suite.generate(os.path.join(self.dir, "a"), 400, 10, 5)
        second = suite.generate(os.path.join(self.dir, "b"), 400, 10, 5)
        texts = self.objects(os.path.join(self.dir, "a"), first)
        self.assertEqual(texts, self.objects(os.path.join(self.dir, "b"), second))
        self.assertEqual([len(t) for t in texts], [o["raw"] for o in first["objects"]])
        self.assertEqual(sum(o["records"] for o in first["objects"]), 400)
        # Object 9 of 10 ends without a final newline, the others with one.
        self.assertEqual([t.endswith(b"\n") for t in texts], [True] * 9 + [False])
        other = suite.generate(os.path.join(self.dir, "c"), 400, 10, 6)
        self.assertNotEqual(texts, self.objects(os.path.join(self.dir, "c"), other))

    def test_lines_are_as_awkward_as_documented(self):
        rng = random.Random(3)
        lines = [dataset.realistic_line(rng, 0, i) for i in range(400)]
        events = [json.loads(line) for line in lines]
        self.assertTrue(any("eventId" in e for e in events))       # flat
        self.assertTrue(any("event" in e for e in events))         # nested
        text = "\n".join(lines)
        self.assertIn("\u2028", text)                              # raw, not \u2028
        self.assertIn("C:\\\\Users\\\\", text)                     # a Windows path, escaped
        self.assertIn('\\"', text)
        self.assertTrue(any(ord(c) > 0x7f for c in text))
        self.assertNotIn("\n", "".join(lines))
        long = [len(dataset.realistic_line(rng, 0, i, long_rate=1).encode()) for i in range(20)]
        self.assertTrue(all(50000 <= n <= 200000 for n in long), long)


class PythonBaseline(peers.MotoCase):
    """bench/python_baseline.py, the design c42-ship replaces, against the
    strict Log Analytics stand-in: its figures only mean something if it
    signs as Microsoft documents and delivers every line as c42-ship does."""

    WITH_LA = True

    def run_baseline(self, queue, **overrides):
        env = dict(os.environ, **self.env, **self.la.tool_env(), SQS_QUEUE_URL=queue,
                   LA_LOG_TYPE="Code42Baseline")
        env.update(overrides)
        return subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench",
                                                            "python_baseline.py")],
                              env=env, capture_output=True, text=True, timeout=120)

    def test_delivers_every_line_signed_and_empties_the_queue(self):
        bucket, queue = dataset.new_bucket_and_queue(self.s3, self.sqs)
        # gzip, multi-member gzip, plain and gzip again; 1,200 lines, so
        # several 500-record posts per object.
        published = dataset.publish(self.s3, self.sqs, queue, bucket, 4, lines_per_object=300)
        # An S3 event notification whose key is form-URL-encoded.
        key = "code42/exports/my file.json"
        self.s3.put_object(Bucket=bucket, Key=key, Body='{"x":"\u00e9 \u2028"}\n{"y":2}'.encode())
        published[key] = ['{"x":"\u00e9 \u2028"}', '{"y":2}']
        self.sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Records": [{
            "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "eventTime": "2026-11-25T02:00:00.000Z",
            "s3": {"bucket": {"name": bucket}, "object": {"key": "code42/exports/my+file.json"}}}]}))
        before = len(self.la.records())
        r = self.run_baseline(queue)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("messages deleted 5 messages kept 0", r.stdout)
        got = {}
        for rec in self.la.records()[before:]:
            self.assertEqual(rec["Bucket_Name"], bucket)
            got.setdefault(rec["Key"], []).append(rec["Raw_Data"])
            self.assertEqual(rec["Actual_Time"], "2026-11-25T02:00:00.000Z" if rec["Key"] == key
                             else "2026-11-25T01:00:00Z")
        self.assertEqual(got, published)
        self.assertEqual(self.queue_counts(queue), (0, 0))

    def test_a_refused_post_keeps_the_message(self):
        bucket, queue = dataset.new_bucket_and_queue(self.s3, self.sqs)
        dataset.publish(self.s3, self.sqs, queue, bucket, 1, lines_per_object=10)
        wrong_key = base64.b64encode(b"not the workspace's key").decode()
        r = self.run_baseline(queue, LA_SHARED_KEY=wrong_key)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("messages deleted 0 messages kept 1", r.stdout)
        self.assertNotIn(wrong_key, r.stdout + r.stderr)
        self.assertEqual(self.queue_counts(queue), (0, 1))  # hidden until its timeout


class Run(unittest.TestCase):
    def test_a_small_run_measures_every_row_and_delivers_everything(self):
        env = dict(os.environ, C42_BUILD_DIR=BIN_DIR)
        r = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench", "suite.py"),
                            "--events", "600", "--objects", "3"],
                           env=env, capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for name in ["zcat", "s3-fetch (alone", "c42-transform (alone", "la-post (alone",
                     "c42-ship (whole pipeline)", "python baseline (original)"]:
            rows = [line for line in out.splitlines() if line.startswith(name)]
            self.assertEqual(len(rows), 1, out)
            self.assertEqual(rows[0].split()[-1], "0", rows[0])  # exit status
            cpu, _, wall, per_s = (float(x) for x in rows[0][32:].split()[:4])
            if name in ("c42-ship (whole pipeline)", "python baseline (original)"):
                self.assertGreater(cpu, 0, rows[0])  # zcat's may round to 0.00
            if wall >= 1:  # printed to 0.01 s, so shorter walls are too coarse to check
                self.assertAlmostEqual(per_s, 600 / wall, delta=600 / wall * 0.01 + 1, msg=rows[0])
        self.assertEqual(out.count("messages left on the queue: 0"), 2, out)
        self.assertIn("sink received 600 rows in 3 posts from the Python baseline", out)
        self.assertIn("python baseline: elapsed", out)
        self.assertNotIn("WARNING", out)
        first, second = out.strip().splitlines()[-2:]
        self.assertTrue(first.startswith("headline: whole pipeline"), out)
        self.assertNotIn("NOT VALID", first)
        m = re.match(r"headline: records/s c42-ship (\d+) = ([\d.]+) x the Python baseline "
                     r"\((\d+)\); to the last row delivered: c42-ship (\d+) = ([\d.]+) x "
                     r"\((\d+)\); CPU: c42-ship ([\d.]+) s, Python ([\d.]+) s$", second)
        self.assertIsNotNone(m, second)
        for at in (1, 4):
            ours, ratio, theirs = (int(m.group(at)), float(m.group(at + 1)),
                                   int(m.group(at + 2)))
            self.assertAlmostEqual(ratio, ours / theirs, delta=0.01 + ratio * 0.01)
        # The last row arrives before the run ends, which waits out a last
        # long poll on the empty queue.
        self.assertGreater(int(m.group(4)), int(m.group(1)))
        self.assertGreater(int(m.group(6)), int(m.group(3)))
        self.assertRegex(out, r"c42-ship \(whole pipeline\): last row delivered [\d.]+ s after")

    def test_no_python_leaves_the_baseline_out(self):
        env = dict(os.environ, C42_BUILD_DIR=BIN_DIR)
        r = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench", "suite.py"),
                            "--events", "200", "--objects", "1", "--no-python"],
                           env=env, capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("python", r.stdout.lower())
        self.assertTrue(r.stdout.strip().splitlines()[-1].startswith("headline: whole pipeline"))


if __name__ == "__main__":
    unittest.main()
