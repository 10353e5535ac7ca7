"""s3-list against moto_server with SigV4 and IAM checks on: a listing of more
than 1000 keys in pages, --start-after, the time window and key filters,
the least privilege it needs (s3:ListBucket), and backfills through
s3-fetch | c42-transform | la-post | s3-list --commit to the Log Analytics
stand-in, held by a failed object and resumed from its checkpoint after a
kill -9.

moto's signature check recomputes the signature from the decoded request
and so refuses any request whose path or query holds a percent-escape other
than %20 (boto3's own, too): with checks on, keys and prefixes here are
plain. Keys that need escaping (Unicode, '+', '%', quotes, a carriage
return) are listed, fetched and shipped byte for byte in OddKeysTest,
against a moto_server of its own without signature checks."""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import peers  # noqa: E402
from tools import run_tool, tool_path  # noqa: E402

# What a backfill needs: the pipeline's s3:GetObject and s3:ListBucket on
# the bucket (granted per bucket ARN, not per object).
BACKFILL_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::*"},
    ],
}

MANY = 1205  # more than one page of 1000 keys

# Keys s3-fetch must read back exactly from an s3:// line.
ODD_KEYS = ["odd/a b  c.json", "odd/plus+sign%20.json", "odd/\u00e9t\u00e9/\u65e5\u672c.json",
            "odd/quote\"back\\slash.json", "odd/tab\there.json", "odd/emoji \U0001F600.json",
            "odd/amp&lt;.json", "odd/cr\rinside.json", "odd/~!*'()[].json"]
# A key no s3:// line can carry; message lines (--checkpoint) can. (A key
# with a line feed is the other such key; moto cannot store one, so the
# unit tests cover it.)
UNLINEABLE = ["odd/trailing-cr\r"]


def utf8_sorted(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def s3_lines(bucket, keys):
    return "".join("s3://%s/%s\n" % (bucket, k) for k in keys)


class Backfill:
    """Running s3-list and the backfill pipeline; the test class provides
    `list_env` (s3-list and s3-fetch), `la` and `workdir`."""

    def list(self, *args, expect=0, env=None):
        r = run_tool("s3-list", list(args), env=env or self.list_env, timeout=60)
        self.assertEqual(r.returncode, expect, r.stderr.decode())
        return r.stdout.decode("utf-8"), r.stderr.decode("utf-8")

    def pipeline(self, listing, checkpoint, la_args=()):
        """Starts s3-list --checkpoint | s3-fetch | c42-transform | la-post |
        s3-list --commit in a process group of its own; returns the
        processes, first to last."""
        env = dict(os.environ, **self.list_env, **self.la.tool_env(), LA_LOG_TYPE="Code42Logs")
        stages = [
            ["s3-list", "--checkpoint", checkpoint, listing],
            ["s3-fetch", "--parallel", "4"],
            ["c42-transform"],
            ["la-post", *la_args],
            ["s3-list", "--commit", "--checkpoint", checkpoint],
        ]
        procs = []
        for i, cmd in enumerate(stages):
            procs.append(subprocess.Popen(
                [tool_path(cmd[0])] + cmd[1:], env=env,
                stdin=procs[-1].stdout if procs else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                process_group=0 if i == 0 else procs[0].pid))
            if i > 0:
                procs[-2].stdout.close()
        self.addCleanup(self.kill_group, procs)
        return procs

    def kill_group(self, procs):
        try:
            os.killpg(procs[0].pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for p in procs:
            p.wait()
            for stream in (p.stdout, p.stderr):
                if stream and not stream.closed:
                    stream.close()

    def finish(self, procs, timeout=60):
        """The exit statuses of the pipeline's stages, and their stderr."""
        deadline = time.time() + timeout
        for p in procs:
            p.wait(timeout=max(1, deadline - time.time()))
        errors = "".join(p.stderr.read().decode() for p in procs)
        return [p.returncode for p in procs], errors

    def rows(self, bucket):
        return [r for r in self.la.records() if r["Bucket_Name"] == bucket]

    def checkpoint_after(self, path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)["after"]


class S3ListTest(Backfill, peers.MotoCase):
    WITH_LA = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        iam = cls.moto.client("iam")
        iam.create_user(UserName="backfill")
        iam.put_user_policy(UserName="backfill", PolicyName="backfill",
                            PolicyDocument=json.dumps(BACKFILL_POLICY))
        key = iam.create_access_key(UserName="backfill")["AccessKey"]
        cls.list_env = cls.moto.tool_env((key["AccessKeyId"], key["SecretAccessKey"]))
        # One bucket of many one-line objects, shared by the listing tests.
        cls.many = "many-" + os.urandom(4).hex()
        cls.s3.create_bucket(Bucket=cls.many)
        cls.many_keys = ["k-%05d.json" % i for i in range(MANY)]
        for i, key in enumerate(cls.many_keys):
            cls.s3.put_object(Bucket=cls.many, Key=key, Body=b'{"n":%d}\n' % i)

    # --- listing ---

    def test_lists_more_than_a_page_in_order_whatever_the_page_size(self):
        whole, err = self.list("s3://%s/" % self.many)
        self.assertEqual(whole, s3_lines(self.many, self.many_keys))
        self.assertEqual(err, "")
        paged, _ = self.list("--max-keys", "97", "s3://%s/k-" % self.many)
        self.assertEqual(paged, whole)
        self.assertEqual(self.list("s3://%s" % self.many)[0], whole)
        # A prefix is any start of a key.
        self.assertEqual(self.list("s3://%s/k-0119" % self.many)[0],
                         s3_lines(self.many, ["k-%05d.json" % i for i in range(1190, 1200)]))

    def test_start_after_lists_only_later_keys(self):
        out, _ = self.list("--max-keys", "250", "--start-after", "k-00999.json",
                           "s3://%s/" % self.many)
        self.assertEqual(out, s3_lines(self.many, self.many_keys[1000:]))
        # A key before the prefix starts it from its first key.
        out, _ = self.list("--start-after", "a", "s3://%s/k-0000" % self.many)
        self.assertEqual(out, s3_lines(self.many, self.many_keys[:10]))

    def test_key_filters(self):
        out, _ = self.list("--match", "k-00*7.json", "--match", "k-01[01]00.json",
                           "--suffix", ".json", "s3://%s/" % self.many)
        self.assertEqual(out, s3_lines(self.many, [
            k for k in self.many_keys
            if (k.startswith("k-00") and k.endswith("7.json")) or k in ("k-01000.json",
                                                                      "k-01100.json")]))
        out, _ = self.list("--suffix", ".gz", "s3://%s/" % self.many)
        self.assertEqual(out, "")

    def test_time_window_on_last_modified(self):
        b = self.new_bucket()
        for k in ["early-1", "early-2"]:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x\n")
        # Times have whole seconds here: the cutoff is the next one.
        cutoff = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)
        time.sleep(max(0.0, (cutoff - datetime.now(timezone.utc)).total_seconds()) + 0.05)
        for k in ["late-1", "late-2"]:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x\n")
        since = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(self.list("--since", since, "s3://%s/" % b)[0],
                         s3_lines(b, ["late-1", "late-2"]))
        self.assertEqual(self.list("--until", since, "s3://%s/" % b)[0],
                         s3_lines(b, ["early-1", "early-2"]))
        self.assertEqual(self.list("--since", "2000-01-01", "--until", "2001-01-01",
                                   "s3://%s/" % b)[0], "")

    # --- errors and privilege ---

    def test_needs_list_bucket_and_says_so_in_one_line(self):
        out, err = self.list("s3://%s/" % self.many, expect=5, env=self.env)  # GetObject only
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("s3-list: error: cannot list s3://%s/: AccessDenied" %
                                       self.many), err)
        self.assertIn("403", err)
        self.assertNotIn(self.moto.shipper_keys[1], err)
        _, err = self.list("s3://no-such-bucket-%s/" % os.urandom(4).hex(), expect=5)
        self.assertIn("NoSuchBucket", err)

    def test_usage_and_configuration_errors(self):
        for args in (["https://b/p"], [], ["--max-keys", "1001", "s3://b/"],
                     ["--since", "yesterday", "s3://b/"], ["--commit"],
                     ["--commit", "--checkpoint", "f", "s3://b/"]):
            with self.subTest(args=args):
                _, err = self.list(*args, expect=2)
                self.assertIn("try 's3-list --help'", err)
        other = os.path.join(self.workdir, "other-listing.json")
        with open(other, "w") as f:
            f.write('{"listing":"s3://elsewhere/","after":"x"}\n')
        _, err = self.list("--checkpoint", other, "s3://%s/" % self.many, expect=4)
        self.assertIn("belongs to s3://elsewhere/", err)

    # --- backfill ---

    def test_a_failed_object_holds_the_checkpoint_before_it(self):
        b = self.new_bucket()
        keys = ["hold-%02d" % i for i in range(6)]
        for key in keys:
            body = b"not gzip\n" if key != "hold-03" else b"\x1f\x8b broken gzip"
            self.s3.put_object(Bucket=b, Key=key, Body=body)
        checkpoint = os.path.join(self.workdir, "hold-%s.json" % b)
        statuses, errors = self.finish(self.pipeline("s3://%s/hold-" % b, checkpoint))
        # s3-fetch failed one object, la-post passed its end line on not ok,
        # and the commit held the checkpoint before it.
        self.assertEqual(statuses, [0, 1, 0, 1, 1], errors)
        self.assertIn("s3-list: warning: checkpoint held at 'hold-02': 1 object not delivered; "
                      "first: s3://%s/hold-03: gzip data is corrupt" % b, errors)
        self.assertEqual(self.checkpoint_after(checkpoint), "hold-02")
        self.assertEqual(sorted(r["Key"] for r in self.rows(b)),
                         [k for k in keys if k != "hold-03"])
        # The next run starts with the failed object again.
        out, _ = self.list("--checkpoint", checkpoint, "s3://%s/hold-" % b)
        ids = [json.loads(line)["message_id"] for line in out.splitlines()]
        self.assertEqual(ids, ["s3://%s/%s" % (b, k) for k in keys[3:]])

    def test_resumes_after_kill_9_without_losing_an_object(self):
        checkpoint = os.path.join(self.workdir, "kill-%s.json" % os.urandom(4).hex())
        listing = "s3://%s/k-" % self.many
        before = len(self.rows(self.many))
        # Slow posts, so that the run is killed part way.
        self.la.set_rules([{"delay": 0.15, "times": -1}])
        self.addCleanup(self.la.clear_rules)
        procs = self.pipeline(listing, checkpoint,
                              la_args=("--chunk-records", "40", "--in-flight", "1"))
        deadline = time.time() + 40
        after = ""
        while not after and time.time() < deadline:
            time.sleep(0.05)
            if os.path.exists(checkpoint):
                after = self.checkpoint_after(checkpoint)
        self.kill_group(procs)
        self.la.clear_rules()
        self.assertTrue(after, "the checkpoint never advanced")
        after = self.checkpoint_after(checkpoint)
        self.assertLess(after, self.many_keys[-1], "the run was over before the kill")
        first = self.rows(self.many)[before:]
        # Nothing lost: every key up to the checkpoint was delivered.
        self.assertEqual({k for k in self.many_keys if k <= after} - {r["Key"] for r in first},
                         set())

        statuses, errors = self.finish(self.pipeline(listing, checkpoint))
        self.assertEqual(statuses, [0, 0, 0, 0, 0], errors)
        second = self.rows(self.many)[before + len(first):]
        # Resumed: nothing up to the checkpoint was shipped again.
        self.assertEqual([r["Key"] for r in second if r["Key"] <= after], [])
        self.assertEqual({r["Key"] for r in first + second}, set(self.many_keys))
        self.assertEqual(self.checkpoint_after(checkpoint), self.many_keys[-1])
        for r in second:
            self.assertEqual(r["Raw_Data"], '{"n":%d}' % int(r["Key"][2:7]))


class OddKeysTest(Backfill, unittest.TestCase):
    """Keys that need escaping, against a moto_server without signature
    checks (see the module's docstring)."""

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="c42-oddkeys-")
        port = peers.free_port()
        env = {k: v for k, v in os.environ.items() if k != "INITIAL_NO_AUTH_ACTION_COUNT"}
        cls.log = open(os.path.join(cls.workdir, "moto.log"), "wb")
        cls.moto = subprocess.Popen(peers.moto_command() + ["-H", "127.0.0.1", "-p", str(port)],
                                    stdout=cls.log, stderr=subprocess.STDOUT, env=env)
        try:
            peers.wait_for_port(port, cls.moto)
            cls.la = peers.LogAnalytics(cls.workdir)
        except Exception:
            peers.stop_process(cls.moto)
            raise
        endpoint = "http://127.0.0.1:%d" % port
        keys = ("AKIAIOSFODNN7EXAMPLE", "unchecked")
        cls.list_env = {"AWS_ACCESS_KEY_ID": keys[0], "AWS_SECRET_ACCESS_KEY": keys[1],
                        "AWS_REGION": peers.REGION, "AWS_ENDPOINT_URL": endpoint}
        import boto3
        from botocore.config import Config
        cls.s3 = boto3.client("s3", endpoint_url=endpoint, region_name=peers.REGION,
                              aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                              config=Config(s3={"addressing_style": "path"}))

    @classmethod
    def tearDownClass(cls):
        cls.la.stop()
        peers.stop_process(cls.moto)
        cls.log.close()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def new_bucket(self):
        name = "odd-" + os.urandom(6).hex()
        self.s3.create_bucket(Bucket=name)
        return name

    def test_odd_keys_round_trip_through_s3_fetch(self):
        b = self.new_bucket()
        for i, k in enumerate(ODD_KEYS):
            self.s3.put_object(Bucket=b, Key=k, Body=("line of %d\n" % i).encode())
        # A prefix and a start key that need escaping too.
        out, _ = self.list("--max-keys", "2", "--start-after", "odd/ ", "s3://%s/odd/" % b)
        self.assertEqual(out, s3_lines(b, utf8_sorted(ODD_KEYS)))
        r = run_tool("s3-fetch", [], input=out, env=self.list_env)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        got = {}
        for line in r.stdout.decode().splitlines():
            record = json.loads(line)
            got[record["key"]] = record["line"]
        self.assertEqual(got, {k: "line of %d" % i for i, k in enumerate(ODD_KEYS)})
        out, _ = self.list("--match", "odd/\u00e9t\u00e9/*", "s3://%s/odd/\u00e9" % b)
        self.assertEqual(out, s3_lines(b, ["odd/\u00e9t\u00e9/\u65e5\u672c.json"]))

    def test_a_key_no_line_can_carry_is_refused_by_name(self):
        b = self.new_bucket()
        for k in ["odd/plain.json"] + UNLINEABLE:
            self.s3.put_object(Bucket=b, Key=k, Body=b"x\n")
        out, err = self.list("s3://%s/odd/" % b, expect=1)
        self.assertEqual(out, s3_lines(b, ["odd/plain.json"]))
        self.assertEqual(err, "s3-list: error: key not written: s3://%s/odd/trailing-cr : s3-fetch "
                         "takes a carriage return at the end of an s3:// line for a line end "
                         "(--checkpoint writes message lines, which keep it)\n" % b)

    def test_backfill_ships_every_line_byte_exact_and_commits_the_last_key(self):
        b = self.new_bucket()
        expected = {}
        keys = ["ship/%02d.json.gz" % i for i in range(20)] + \
            ["ship/" + k[4:] for k in ODD_KEYS + UNLINEABLE]
        for n, key in enumerate(keys):
            lines = ['{"n":%d,"i":%d,"s":"caf\u00e9 \\"q\\" \\\\ \u2028 \U0001F600"}' % (n, i)
                     for i in range(30)] + ["not json \t at all %d" % n, "  spaced  "]
            expected[key] = lines
            self.s3.put_object(Bucket=b, Key=key,
                               Body=gzip.compress(("\r\n".join(lines) + "\n").encode()))
        checkpoint = os.path.join(self.workdir, "ship-%s.json" % b)
        statuses, errors = self.finish(self.pipeline("s3://%s/ship/" % b, checkpoint))
        self.assertEqual(statuses, [0, 0, 0, 0, 0], errors)
        got = {}
        for row in self.rows(b):
            got.setdefault(row["Key"], []).append(row["Raw_Data"])
        # Chunks may arrive in any order; each line exactly once.
        self.assertEqual({k: sorted(v) for k, v in got.items()},
                         {k: sorted(v) for k, v in expected.items()})
        self.assertEqual(self.checkpoint_after(checkpoint), utf8_sorted(keys)[-1])
        # Run again: nothing left to list, nothing shipped twice.
        statuses, errors = self.finish(self.pipeline("s3://%s/ship/" % b, checkpoint))
        self.assertEqual(statuses, [0, 0, 0, 0, 0], errors)
        self.assertEqual(len(self.rows(b)), sum(len(v) for v in expected.values()))


if __name__ == "__main__":
    unittest.main()
