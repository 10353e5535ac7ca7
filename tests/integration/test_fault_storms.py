"""The fault matrix's storms: scripts/c42-ship runs against moto_server (behind
tests/standins/fault_proxy.py) and the Log Analytics stand-in, for both Log
Analytics APIs, while the services fail. Each case asserts that every source
line arrived byte for byte in the same run, that every message a run deleted
had all of its lines stored before its deletion was sent, and counts the
duplicates. Faults are drawn from seeded generators: the seed is printed, and
C42_FAULT_SEED=<seed> repeats a run's draws (their order still follows the
scheduling of concurrent requests).

Small data and short limits keep the whole file to about a minute."""

import collections
import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from entra import Entra  # noqa: E402
from test_pipeline import reassemble  # noqa: E402
from tools import BIN_DIR, DRIVER  # noqa: E402

SEED = int(os.environ.get("C42_FAULT_SEED") or random.SystemRandom().randrange(2 ** 32))

# The run's limits: generous for the data, short for a test. The storms must
# clear well within them.
BUDGET = 30
HARD_LIMIT = 60
SETTINGS = {
    # Short waits between tries, so a storm costs seconds (c42-ship.1's
    # advice for a short deadline); a hung request is cut off after 2 s.
    "C42_MAX_BACKOFF": "1",
    "C42_STALL_TIMEOUT": "2",
    "C42_CONNECT_TIMEOUT": "2",
}

# 30 % of the posts fail with 500 or 503 and 10 % are throttled with 429 and
# Retry-After (issue 8's first storm); then one in which 70 % fail.
STORM = [{"status": 500, "rate": 0.15, "times": -1},
         {"status": 503, "rate": 0.15, "times": -1},
         {"status": 429, "retry_after": 1, "rate": 0.10, "times": -1}]
HARSH_STORM = [{"status": 500, "rate": 0.25, "times": -1},
               {"status": 503, "rate": 0.25, "times": -1},
               {"status": 429, "retry_after": 1, "rate": 0.20, "times": -1}]

world = {}


def setUpModule():
    sys.stderr.write("\ntest_fault_storms: fault seed %d (C42_FAULT_SEED=%d repeats it)\n"
                     % (SEED, SEED))
    workdir = tempfile.mkdtemp(prefix="c42-storms-")
    world["workdir"] = workdir
    try:
        world["moto"] = peers.Moto(os.path.join(workdir, "moto.log"))
        world["entra"] = Entra(workdir)
        world["la"] = peers.LogAnalytics(workdir, entra=world["entra"], seed=SEED)
        world["proxy"] = peers.FaultProxy(workdir, world["moto"], seed=SEED)
    except Exception:
        tearDownModule()
        raise


def tearDownModule():
    for name in ("proxy", "la", "entra", "moto"):
        if name in world:
            world.pop(name).stop()
    shutil.rmtree(world.pop("workdir"), ignore_errors=True)


def epoch(iso):
    return datetime.datetime.fromisoformat(iso).timestamp()


class Run:
    def __init__(self, proc, out, err, elapsed):
        self.rc = proc.returncode
        self.stderr = err.decode("utf-8", "replace")
        lines = out.decode().strip().splitlines()
        self.stats = json.loads(lines[-1]) if lines else {}
        self.elapsed = elapsed

    def describe(self):
        return "exit %s after %.1f s\nstats: %s\nstderr:\n%s" % (
            self.rc, self.elapsed, self.stats, self.stderr[-3000:])


class StormCase(unittest.TestCase):
    """One bucket and queue per test; c42-ship posting through API."""

    API = "data-collector"

    def setUp(self):
        self.moto, self.la, self.proxy = world["moto"], world["la"], world["proxy"]
        self.la.clear_rules()
        self.proxy.clear_rules()
        self.s3 = self.moto.client("s3")
        self.sqs = self.moto.client("sqs")
        self.bucket, self.queue = dataset.new_bucket_and_queue(self.s3, self.sqs)
        self.published = {}

    def publish(self, objects, lines_per_object, long_every=0):
        self.published.update(dataset.publish(
            self.s3, self.sqs, self.queue, self.bucket, objects, seed=SEED,
            lines_per_object=lines_per_object, long_every=long_every))

    # --- running ---------------------------------------------------------------

    def env(self, keys=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "LA_", "SQS_", "C42_", "AZURE_", "IDENTITY_"))}
        env.update(self.proxy.tool_env(keys))  # every AWS call through the proxy
        if self.API == "ingestion":
            env.update(self.la.ingestion_env())
            env.update(world["entra"].client_secret_env())
        else:
            env.update(self.la.tool_env())
            env["LA_LOG_TYPE"] = "Code42Logs"
        env.update(SQS_QUEUE_URL=self.queue, C42_BIN_DIR=BIN_DIR, **SETTINGS)
        return env

    def ship(self, keys=None, **settings):
        env = self.env(keys)
        env.update(settings)
        self.la_before = self.la.stats()
        self.proxy_before = self.proxy.stats()
        started = time.time()
        proc = subprocess.Popen([DRIVER, "--budget", str(BUDGET), "--hard-limit", str(HARD_LIMIT),
                                 "--json"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=HARD_LIMIT + 60)
        return Run(proc, out, err, time.time() - started)

    def la_added(self, status):
        before = self.la_before["by_status"].get(status, 0)
        return self.la.stats()["by_status"].get(status, 0) - before

    def proxy_added(self, prefix, containing=""):
        """Requests since the run started whose "<service> <action> <outcome>"
        starts with `prefix` and contains `containing`."""
        now = self.proxy.stats()
        return sum(n - self.proxy_before.get(k, 0) for k, n in now.items()
                   if k.startswith(prefix) and containing in k)

    # --- what arrived ------------------------------------------------------------

    def entries(self):
        """The stand-in's store lines of this test's bucket."""
        return [e for e in self.la.entries(self.api_name())
                if e["record"].get("Bucket_Name") == self.bucket]

    def api_name(self):
        return "ingestion" if self.API == "ingestion" else "data-collector"

    def check_every_line_arrived(self, keys=None):
        """Every line of `keys` (default: all published) stored intact; the
        duplicates, counted and printed."""
        keys = set(self.published if keys is None else keys)
        stored = reassemble(e["record"] for e in self.entries())
        expected = collections.Counter((k, line) for k in keys for line in self.published[k])
        missing = [kl for kl in expected if stored[kl] < 1]
        self.assertEqual(missing, [], "%d of %d lines missing" % (len(missing), len(expected)))
        strangers = [kl for kl in stored if kl[0] not in self.published]
        self.assertEqual(strangers, [], "stored lines that no object holds")
        duplicates = sum(n - 1 for kl, n in stored.items() if kl in expected and n > 1)
        return len(expected), duplicates

    def sqs_events(self):
        return [e for e in self.proxy.events() if e["queue_url"] == self.queue]

    def deleted_keys(self):
        """(key, time the deletion was sent) of every message moto deleted."""
        key_of = {}
        deleted = []
        for event in self.sqs_events():
            if event["action"] == "ReceiveMessage":
                for m in event["messages"]:
                    key_of[m["receipt_handle"]] = json.loads(m["body"])["Object Key"]
            else:
                deleted += [(key_of[h], event["time"]) for h in event["deleted"]]
        return deleted

    def check_nothing_deleted_before_it_was_stored(self):
        """Each deletion was sent after every line of its object was stored;
        returns the keys deleted."""
        first_stored = {}
        pending = collections.defaultdict(list)
        for entry in self.entries():
            record = entry["record"]
            if "Record_Id" in record:
                # A split line is stored once its last part is.
                pending[record["Record_Id"]].append(entry)
                if len(pending[record["Record_Id"]]) < record["Part_Count"]:
                    continue
                parts = sorted(pending.pop(record["Record_Id"]),
                               key=lambda e: e["record"]["Part_Number"])
                line = "".join(p["record"]["Raw_Data"] for p in parts)
            else:
                line = record["Raw_Data"]
            first_stored.setdefault((record["Key"], line), epoch(entry["received"]))
        deleted = self.deleted_keys()
        for key, at in deleted:
            for line in self.published[key]:
                stored = first_stored.get((key, line))
                self.assertIsNotNone(stored, "%s deleted, yet a line of it never arrived" % key)
                self.assertLessEqual(stored, at, "%s deleted before its data was accepted" % key)
        return {key for key, _ in deleted}

    def check_delivered_in_the_run(self, run, what):
        """The whole run's outcome for a storm that clears: everything stored,
        every message deleted, none before its data. Prints the figures."""
        self.assertEqual(run.rc, 0, run.describe())
        self.assertFalse(run.stats["hard_limit_struck"], run.describe())
        self.assertLess(run.elapsed, HARD_LIMIT, run.describe())
        lines, duplicates = self.check_every_line_arrived()
        deleted = self.check_nothing_deleted_before_it_was_stored()
        self.assertEqual(deleted, set(self.published))
        self.assertEqual(run.stats["messages_deleted"], len(self.published), run.describe())
        self.assertEqual(self.queue_depth(), 0)
        sys.stderr.write("\n  %s [%s, seed %d]: %d lines of %d objects, lost 0, duplicates %d, "
                         "%.1f s\n" % (what, self.API, SEED, lines, len(self.published),
                                       duplicates, run.elapsed))
        return duplicates

    def queue_depth(self):
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue,
                                          AttributeNames=["All"])["Attributes"]
        return (int(a["ApproximateNumberOfMessages"])
                + int(a["ApproximateNumberOfMessagesNotVisible"]))


class LogAnalyticsFaults:
    """(a)-(c): the Log Analytics service fails; the mixin runs for each API."""

    def storm(self, rules, what):
        # Objects this small go out about one chunk each: some 16 posts for
        # the storm to fail, each retried until it gets through.
        self.publish(16, lines_per_object=125, long_every=50)
        self.la.set_rules([dict(r, api=self.api_name()) for r in rules])
        run = self.ship()
        failed = {s: self.la_added(s) for s in ("500", "503", "429")}
        accepted = self.la_added("200") + self.la_added("204")
        sys.stderr.write("\n  %s [%s]: posts accepted %d, failed %s\n"
                         % (what, self.API, accepted, failed))
        self.assertGreater(sum(failed.values()), 0, "the storm never struck")
        self.check_delivered_in_the_run(run, what)

    def test_a_storm_of_30_percent_5xx_and_10_percent_429_delivers_all_in_the_run(self):
        self.storm(STORM, "storm 30 % 500/503 + 10 % 429")

    def test_a_storm_failing_70_percent_of_posts_delivers_all_in_the_run(self):
        self.storm(HARSH_STORM, "storm 70 % failing")

    def test_hanging_posts_are_cut_off_retried_and_delivered(self):
        self.publish(6, lines_per_object=60)
        # The first three posts are never answered: each is cut off by the
        # stall limit (2 s) and retried.
        self.la.set_rules([{"api": self.api_name(), "hang": True, "times": 3}])
        run = self.ship()
        self.assertEqual(self.la_added("hung"), 3, self.la.stats())
        self.check_delivered_in_the_run(run, "hanging posts")


class DataCollectorFaults(LogAnalyticsFaults, StormCase):
    API = "data-collector"


class LogsIngestionFaults(LogAnalyticsFaults, StormCase):
    API = "ingestion"


class AwsFaults(StormCase):
    """(d): S3 and SQS fail, through the fault proxy."""

    def test_s3_slowdown_is_ridden_out(self):
        self.publish(8, lines_per_object=80)
        self.proxy.set_rules([{"service": "s3", "action": "GetObject", "status": 503,
                               "rate": 0.5, "times": -1},
                              {"service": "s3", "action": "GetObject", "status": 503,
                               "retry_after": 1, "rate": 0.2, "times": -1}])
        run = self.ship()
        self.assertGreater(self.proxy_added("s3 GetObject 503 SlowDown"), 0)
        self.check_delivered_in_the_run(run, "S3 SlowDown on 70 % of GetObject")

    def test_truncated_s3_bodies_are_resumed_and_the_data_is_exact(self):
        self.publish(6, lines_per_object=200)
        # Every object is bigger than 1500 bytes: the first five answers
        # (first requests and resumptions alike) are cut off after 1500.
        self.proxy.set_rules([{"service": "s3", "action": "GetObject", "truncate": 1500,
                               "times": 5}])
        run = self.ship()
        self.assertEqual(self.proxy_added("s3 GetObject cut off"), 5)
        self.check_delivered_in_the_run(run, "truncated S3 bodies")

    def narrow_user(self, bucket):
        """A shipper allowed to read `bucket` only: moto refuses it the others
        with a real 403 AccessDenied."""
        iam = self.moto.client("iam")
        name = "narrow-" + uuid.uuid4().hex[:8]
        policy = json.loads(json.dumps(peers.SHIPPER_POLICY))
        policy["Statement"][0]["Resource"] = "arn:aws:s3:::%s/*" % bucket
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="ship", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    def test_nosuchkey_and_accessdenied_keep_their_messages_without_retrying(self):
        self.publish(4, lines_per_object=50)
        gone = sorted(self.published)[1]
        self.s3.delete_object(Bucket=self.bucket, Key=gone)
        forbidden_bucket = "private-" + uuid.uuid4().hex[:10]
        self.s3.create_bucket(Bucket=forbidden_bucket)
        forbidden = "code42/exports/forbidden.json.gz"
        self.s3.put_object(Bucket=forbidden_bucket, Key=forbidden,
                           Body=dataset.encode(["{\"a\":1}"]))
        self.sqs.send_message(QueueUrl=self.queue,
                              MessageBody=dataset.code42_body(forbidden_bucket, forbidden))
        run = self.ship(keys=self.narrow_user(self.bucket))
        self.assertEqual(run.rc, 1, run.describe())
        # One GetObject each: neither is retried, whatever the time left.
        self.assertEqual(self.proxy_added("s3 GetObject 404"), 1, self.proxy.stats())
        self.assertEqual(self.proxy_added("s3 GetObject 403"), 1, self.proxy.stats())
        errors = [l for l in run.stderr.splitlines() if ": error: " in l]
        self.assertTrue(any(l.startswith("s3-fetch: error: ") and "NoSuchKey" in l
                            and gone in l for l in errors), run.describe())
        self.assertTrue(any(l.startswith("s3-fetch: error: ") and "AccessDenied" in l
                            and forbidden in l for l in errors), run.describe())
        self.assertLess(run.elapsed, BUDGET, "a refusal was retried: " + run.describe())
        # The other objects delivered and deleted; the two messages kept.
        good = set(self.published) - {gone}
        self.check_every_line_arrived(good)
        self.assertEqual(self.check_nothing_deleted_before_it_was_stored(), good)
        self.assertEqual(run.stats["messages_deleted"], 3, run.describe())
        self.assertEqual(self.queue_depth(), 2)

    def test_sqs_throttling_on_receive_and_delete_is_ridden_out(self):
        self.publish(8, lines_per_object=40)
        # A run makes only a few receives and deletions: throttle the first
        # three of each, so that every one of them meets it at least once.
        self.proxy.set_rules([{"service": "sqs", "action": action, "status": 400, "times": 3}
                              for action in ("ReceiveMessage", "DeleteMessageBatch",
                                             "DeleteMessage")])
        run = self.ship()
        self.assertEqual(self.proxy_added("sqs ReceiveMessage 400 RequestThrottled"), 3)
        self.assertGreaterEqual(self.proxy_added("sqs DeleteMessage", "400 RequestThrottled"), 1)
        self.check_delivered_in_the_run(run, "SQS throttling of receives and deletes")

if __name__ == "__main__":
    unittest.main()
