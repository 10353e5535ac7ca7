"""The benchmark (bench/run, bench/suite.py) on a tiny data set: its data is
deterministic and as awkward as bench/README.md says, and a run measures
every row of its table and delivers everything. Figures are never asserted,
only that they were measured on a run that shipped every line."""

import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import shutil
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import dataset  # noqa: E402
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


class Run(unittest.TestCase):
    def test_a_small_run_measures_every_row_and_delivers_everything(self):
        env = dict(os.environ, C42_BUILD_DIR=BIN_DIR)
        r = subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "bench", "suite.py"),
                            "--events", "600", "--objects", "3"],
                           env=env, capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for name in ["zcat", "s3-fetch (alone", "c42-transform (alone", "la-post (alone",
                     "c42-ship (whole pipeline)"]:
            rows = [line for line in out.splitlines() if line.startswith(name)]
            self.assertEqual(len(rows), 1, out)
            self.assertEqual(rows[0].split()[-1], "0", rows[0])  # exit status
        self.assertIn("messages left on the queue: 0", out)
        self.assertNotIn("WARNING", out)
        headline = out.strip().splitlines()[-1]
        self.assertTrue(headline.startswith("headline: whole pipeline"), out)
        self.assertNotIn("NOT VALID", headline)


if __name__ == "__main__":
    unittest.main()
