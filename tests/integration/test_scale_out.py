"""Scale-out: several c42-ship runs at once on one queue, as KEDA, a
Container Apps job or a few cron machines start them (README.md, Deploy).
SQS is the only coordinator: a message one run received is hidden from the
others until that run deletes it or its visibility timeout ends.

One test ships the same synthetic export twice against moto_server and the
Log Analytics stand-in: once with one run, then with four started at the
same moment on a queue of their own. It asserts that nothing is lost
(every line of every object arrives byte for byte, every run ends with
status 0, the queue is empty after) and prints the duplicates, how the
messages were shared out and the throughput of four runs relative to one.
Throughput is printed, never asserted: it depends on the machine and on
what else runs on it.

The last line on standard output sums it up:
    scale-out: objects=N records=R one=T1 s four=T4 s speedup=S duplicates=D received=[...]
C42_SCALE_OBJECTS and C42_SCALE_LINES change the size of the export.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from test_faults import Delivered, clean_env  # noqa: E402
from tools import BIN_DIR, finish_driver, start_driver  # noqa: E402

INSTANCES = 4
OBJECTS = int(os.environ.get("C42_SCALE_OBJECTS") or 48)
LINES_PER_OBJECT = int(os.environ.get("C42_SCALE_LINES") or 400)
# Each run stops receiving once the queue is empty; the budget only bounds
# a run that something slowed down.
BUDGET = 60
HARD_LIMIT = 90


class ScaleOut(peers.MotoCase):
    WITH_LA = True

    def ship(self, name, instances):
        """Publishes the export under its own prefix on a queue of its own,
        starts `instances` runs at once and waits for all of them; returns
        (published {key: lines}, seconds from the first start to the last
        end, [statistics of each run])."""
        queue = self.new_queue()
        # The same seed: the same lines in both phases, under other keys.
        published = dataset.publish(self.s3, self.sqs, queue, self.new_bucket(), OBJECTS, seed=7,
                                    lines_per_object=LINES_PER_OBJECT,
                                    prefix="code42/%s/" % name)
        config = os.path.join(self.workdir, "%s.conf" % name)
        with open(config, "w") as f:
            f.write("SQS_QUEUE_URL=%s\nC42_BIN_DIR=%s\n" % (queue, BIN_DIR))
        env = clean_env(TMPDIR=self.workdir, **self.env, **self.la.tool_env())
        args = ["--config", config, "--json", "--budget", str(BUDGET),
                "--hard-limit", str(HARD_LIMIT)]
        started = time.monotonic()
        runs = [start_driver(self, args, env) for _ in range(instances)]
        stats = []
        for proc in runs:
            status, _, err, run_stats = finish_driver(self, proc, HARD_LIMIT + 30)
            self.assertEqual(status, 0, err)
            stats.append(run_stats)
        elapsed = time.monotonic() - started
        self.assertEqual(self.queue_counts(queue), (0, 0), "messages left on the queue")
        return published, elapsed, stats

    def check_delivered(self, published):
        """Every line of every object arrived whole, byte for byte; returns
        how many extra copies of them arrived."""
        delivered = Delivered(self.la.store)
        delivered.refresh()
        got = delivered.lines()
        lost = [(key, line[:60]) for key, lines in published.items() for line in lines
                if got[(key, line.encode("utf-8"))] < 1]
        self.assertEqual(lost, [], "lines missing in the stand-in")
        return sum(got[(key, line.encode("utf-8"))] - 1
                   for key, lines in published.items() for line in set(lines))

    def test_four_runs_on_one_queue_lose_nothing(self):
        published, one_elapsed, one_stats = self.ship("one", 1)
        self.check_delivered(published)
        published, four_elapsed, four_stats = self.ship("four", INSTANCES)
        duplicates = self.check_delivered(published)
        received = [s["messages_received"] for s in four_stats]
        deleted = sum(s["messages_deleted"] for s in four_stats)
        # Every message was deleted by some run, and no run's count was lost.
        self.assertEqual(sum(received), deleted + sum(s["messages_kept"] for s in four_stats))
        self.assertGreaterEqual(deleted, OBJECTS)
        self.assertEqual(one_stats[0]["messages_deleted"], OBJECTS)
        records = OBJECTS * LINES_PER_OBJECT
        print("scale-out: objects=%d records=%d one=%.1f s four=%.1f s speedup=%.2f "
              "duplicates=%d received=%s"
              % (OBJECTS, records, one_elapsed, four_elapsed, one_elapsed / four_elapsed,
                 duplicates, received), flush=True)


if __name__ == "__main__":
    unittest.main()
