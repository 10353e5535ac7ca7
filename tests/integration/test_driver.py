"""scripts/c42-ship as a program: how it checks what it is given, what each
stage gets, and how a run ends when it is interrupted, killed or out of time.

The tests that need no service run the driver with settings that are never
used (the driver stops before the pipeline); the others run it against
moto_server and the Log Analytics stand-in, both on 127.0.0.1, like
test_pipeline.py. Stages are observed through C42_BIN_DIR: a directory of
wrapper scripts that record their arguments, environment and parent, then
exec the real tool (so the tool is still the driver's direct child).

C42_SHIP_UNDER_TEST names another copy of the driver to run instead of
scripts/c42-ship, for showing that these tests fail on an older one.
"""

import datetime
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from procs import alive, children_of  # noqa: E402
from test_pipeline import reassemble  # noqa: E402
from tools import BIN_DIR, DRIVER, finish_driver, start_driver  # noqa: E402

DRIVER = os.environ.get("C42_SHIP_UNDER_TEST") or DRIVER
STAGES = ["sqs-poll", "s3-fetch", "c42-transform", "la-post", "sqs-ack"]
NETWORK_STAGES = ["sqs-poll", "s3-fetch", "la-post", "sqs-ack"]
AWS_SECRETS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
LA_SECRETS = ["LA_SHARED_KEY", "LA_SHARED_KEY_FILE"]
GRACE = 10

# Settings a run accepts; never used by the tests that stop before the
# pipeline starts. Should one start, it reaches only the loopback address,
# where nothing listens on port 9.
OFFLINE = {
    "SQS_QUEUE_URL": "http://127.0.0.1:9/123456789012/offline",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "LA_ENDPOINT": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "AKIDOFFLINEEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "offline-aws-secret-" + uuid.uuid4().hex,
    "AWS_REGION": "us-east-1",
    "LA_WORKSPACE_ID": "12345678-90ab-cdef-1234-567890abcdef",
    "LA_SHARED_KEY": "b2ZmbGluZS1zaGFyZWQta2V5LWZvci10ZXN0cw==",
}

WRAPPER = """#!/usr/bin/env bash
# Records how c42-ship started this stage, then becomes the real tool.
record={record}/{name}.$$
printf '%s\\0' "$PPID" > "$record.ppid"
printf '%s\\0' "$@" > "$record.args"
env -0 > "$record.env"
{body}
"""
EXEC_REAL = 'exec {real} "$@"'
# A stage that hangs: it reads nothing and ignores SIGTERM, so only the
# driver's SIGKILL after the grace ends it.
HANG = """case " $* " in
*" --check-config "*) {exec_real} ;;
esac
trap '' TERM
exec sleep 120"""


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def parse_iso(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class DriverCase(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="c42-driver-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        # The driver's temporary directories go here, where a test can
        # see whether one is left behind.
        self.tmpdir = os.path.join(self.workdir, "tmp")
        os.mkdir(self.tmpdir)
        self.leftover = set()
        self.addCleanup(self.kill_leftovers)

    def kill_leftovers(self):
        for pid in self.leftover:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    def write_config(self, text, name="c42-ship.env"):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def config(self, settings, name="c42-ship.env"):
        return self.write_config("".join("%s=%s\n" % kv for kv in settings.items()), name)

    def start(self, args, env):
        env = dict(env)
        env.setdefault("TMPDIR", self.tmpdir)
        return start_driver(self, args, env, DRIVER)

    def finish(self, proc, timeout=60):
        status, self.out, self.err, self.stats = finish_driver(self, proc, timeout)
        return status

    def ship(self, *args, env=None, timeout=60):
        return self.finish(self.start(list(args), env or clean_env()), timeout)

    def assertOneLineError(self, status, expected_status, *fragments):
        self.assertEqual(status, expected_status, self.err)
        self.assertEqual(len(self.err.splitlines()), 1, self.err)
        self.assertTrue(self.err.startswith("c42-ship: error: "), self.err)
        for fragment in fragments:
            self.assertIn(fragment, self.err)
        self.assertEqual(self.out, "")

    def assertNoTempDirLeft(self):
        self.assertEqual([n for n in os.listdir(self.tmpdir) if n.startswith("c42-ship")], [])

    def wrap(self, hang=()):
        """A C42_BIN_DIR of recording wrappers; returns (dir, record dir)."""
        bin_dir = os.path.join(self.workdir, "bin")
        record = os.path.join(self.workdir, "record")
        os.makedirs(bin_dir, exist_ok=True)
        os.makedirs(record, exist_ok=True)
        for name in STAGES:
            exec_real = EXEC_REAL.format(real=os.path.join(BIN_DIR, name))
            body = HANG.format(exec_real=exec_real) if name in hang else exec_real
            path = os.path.join(bin_dir, name)
            with open(path, "w") as f:
                f.write(WRAPPER.format(record=record, name=name, body=body))
            os.chmod(path, 0o755)
        return bin_dir, record

    def recorded(self, record, check=False):
        """{stage: {"pid", "ppid", "args", "env"}} of the wrapper runs, those
        with --check-config or those without."""
        runs = {}
        for entry in sorted(os.listdir(record)):
            if not entry.endswith(".args"):
                continue
            base = os.path.join(record, entry[:-5])
            name, pid = entry[:-5].rsplit(".", 1)

            def read(suffix):
                with open(base + suffix, "rb") as f:
                    return [x.decode() for x in f.read().split(b"\0")[:-1]]
            args = read(".args")
            if ("--check-config" in args) != check:
                continue
            env = dict(e.split("=", 1) for e in read(".env") if "=" in e)
            self.assertNotIn(name, runs, "%s started twice" % name)
            runs[name] = {"pid": int(pid), "ppid": int(read(".ppid")[0]), "args": args, "env": env}
        return runs


class Arguments(DriverCase):
    """What the driver refuses before it starts anything."""

    def test_numbers_are_checked_in_one_place_with_their_range(self):
        # Item 5: out-of-range and overflowing numbers, one readable line each.
        cases = [
            (["--budget", "x"], "--budget takes whole seconds from 1 to 43200, or 0 for none, "
                                "not 'x'"),
            (["--budget", "0", "--hard-limit", "10"], "--hard-limit needs a budget"),
            (["--budget", "43201"], "--budget takes whole seconds from 1 to 43200"),
            (["--budget=99999999999999999999"], "--budget takes whole seconds from 1 to 43200"),
            (["--budget", "-5"], "--budget takes whole seconds from 1 to 43200"),
            (["--budget", "1e3"], "--budget takes whole seconds from 1 to 43200"),
            (["--hard-limit", "86401"], "--hard-limit takes whole seconds from 1 to 86400"),
            (["--budget", "100", "--hard-limit", "99"], "must not be less than --budget"),
            (["--max-messages-total", "1000000001"],
             "--max-messages-total takes a count from 0 to 1000000000"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                status = self.ship(*args, env=clean_env(**OFFLINE))
                self.assertOneLineError(status, 2, message, "(try 'c42-ship --help')")

    def test_visibility_timeout_setting_must_cover_the_hard_limit_and_fit_sqs(self):
        # Item 5: C42_VISIBILITY_TIMEOUT from hard limit + grace to 43200.
        cases = [
            ({"C42_VISIBILITY_TIMEOUT": "abc"}, [],
             "C42_VISIBILITY_TIMEOUT takes whole seconds from 305 "),
            ({"C42_VISIBILITY_TIMEOUT": "304"}, [], "from 305 (the hard limit plus 10) to 43200"),
            ({"C42_VISIBILITY_TIMEOUT": "43201"}, [], "to 43200, not '43201'"),
            ({"C42_VISIBILITY_TIMEOUT": "60"}, ["--budget", "20", "--hard-limit", "51"],
             "from 61 (the hard limit plus 10)"),
            ({"C42_VISIBILITY_TIMEOUT": "43200"}, ["--budget", "43200"],
             "cannot cover a hard limit of 43225 s"),
            ({"C42_LENIENT": "yes"}, [], "C42_LENIENT takes 0 or 1, not 'yes'"),
            ({"C42_RELEASE": "2"}, [], "C42_RELEASE takes 0 or 1, not '2'"),
            ({"C42_ROW_ID": "true"}, [], "C42_ROW_ID takes 0 or 1, not 'true'"),
        ]
        for settings, args, message in cases:
            with self.subTest(settings=settings, args=args):
                status = self.ship(*args, env=clean_env(C42_BIN_DIR=BIN_DIR, **OFFLINE, **settings))
                self.assertOneLineError(status, 4, message)
                self.assertNotIn("(try", self.err)

    def test_config_file_takes_only_documented_settings(self):
        # Item 4: IFS, PATH, LD_PRELOAD... are refused, with file and line.
        for key in ["PATH", "LD_PRELOAD", "IFS", "BASH_ENV", "SQS_QUEUE", "path"]:
            with self.subTest(key=key):
                path = self.write_config("# settings\nLA_LOG_TYPE=Code42Logs\n%s=x\n" % key)
                status = self.ship("--config", path, env=clean_env(**OFFLINE))
                self.assertOneLineError(status, 4, "%s:3: unknown setting '%s'" % (path, key))

    def test_config_file_that_cannot_be_read_is_one_line(self):
        # Item 4: a directory, a missing file, a path through a file.
        plain = self.write_config("LA_LOG_TYPE=Code42Logs\n")
        cases = [self.workdir, os.path.join(self.workdir, "missing.env"),
                 os.path.join(plain, "below-a-file.env")]
        if os.geteuid() != 0:  # root reads a file whatever its mode
            locked = self.write_config("LA_LOG_TYPE=Code42Logs\n", "locked.env")
            os.chmod(locked, 0)
            cases.append(locked)
        for path in cases:
            with self.subTest(path=path):
                status = self.ship("--config", path, env=clean_env(**OFFLINE))
                self.assertOneLineError(status, 4, "cannot read config file '%s'" % path)

    def test_later_line_wins_and_the_environment_wins_over_the_file(self):
        # Item 4. s3-fetch is checked before la-post, so a run that la-post
        # stops (bad log type) shows which --parallel s3-fetch accepted.
        def run(text, **env):
            path = self.write_config(text + "C42_BIN_DIR=%s\nLA_LOG_TYPE=not-a-type\n" % BIN_DIR)
            return self.ship("--config", path, env=clean_env(**OFFLINE, **env))

        parallel_zero = "s3-fetch rejects its settings: --parallel: takes a whole number from 1 to 64"
        bad_log_type = "la-post rejects its settings: --log-type"
        self.assertOneLineError(run("C42_PARALLEL=0\nC42_PARALLEL=3\n"), 4, bad_log_type)
        self.assertOneLineError(run("C42_PARALLEL=3\nC42_PARALLEL=0\n"), 4, parallel_zero)
        self.assertOneLineError(run("C42_PARALLEL=0\n", C42_PARALLEL="2"), 4, bad_log_type)
        self.assertOneLineError(run("C42_PARALLEL=2\n", C42_PARALLEL="0"), 4, parallel_zero)

    def test_stage_that_is_not_executable_is_not_reported_as_missing(self):
        # Item 4: "not executable" and "cannot find" are different lines.
        bin_dir, _ = self.wrap()
        os.chmod(os.path.join(bin_dir, "la-post"), 0o644)
        status = self.ship(env=clean_env(C42_BIN_DIR=bin_dir, **OFFLINE))
        self.assertOneLineError(status, 4, "la-post exists but is not executable")
        os.remove(os.path.join(bin_dir, "la-post"))
        status = self.ship(env=clean_env(C42_BIN_DIR=bin_dir, **OFFLINE))
        self.assertOneLineError(status, 4, "cannot find la-post")

    def test_every_stage_checks_its_settings_first(self):
        # Item 2: the stage's own words, without its prefix and --help hint.
        cases = [
            ({"C42_PARALLEL": "0"}, "c42-ship: error: s3-fetch rejects its settings: "
                                    "--parallel: takes a whole number from 1 to 64, not 0\n"),
            ({"C42_SKIP_BEFORE": "yesterday"}, "s3-fetch rejects its settings: "),
            ({"C42_SKIP_BEFORE": "today"}, "s3-fetch rejects its settings: "),
            ({"C42_SKIP_OLDER_THAN": "2 days"}, "s3-fetch rejects its settings: --skip-older-than"),
            ({"LA_LOG_TYPE": "Code42-Logs"}, "la-post rejects its settings: --log-type"),
            ({"LA_SHARED_KEY": "not base64!"}, "la-post rejects its settings: "),
            ({"LA_SHARED_KEY_FILE": os.path.join(os.sep, "nonexistent", "la.key")},
             "la-post rejects its settings: --shared-key-file"),
            ({"C42_STALL_TIMEOUT": "0"}, "sqs-poll rejects its settings: --stall-timeout"),
            ({"C42_CONNECT_TIMEOUT": "soon"}, "sqs-poll rejects its settings: --connect-timeout"),
            ({"AWS_SECRET_ACCESS_KEY": ""}, "sqs-poll rejects its settings: "),
        ]
        for settings, message in cases:
            with self.subTest(settings=settings):
                env = clean_env(C42_BIN_DIR=BIN_DIR, **dict(OFFLINE, **settings))
                status = self.ship(env=env)
                self.assertOneLineError(status, 4, message)
                self.assertNotIn("(try", self.err)
                self.assertNotIn(OFFLINE["AWS_SECRET_ACCESS_KEY"], self.err)
                self.assertNotIn(OFFLINE["LA_SHARED_KEY"], self.err)
                self.assertNoTempDirLeft()

    def test_session_token_goes_only_to_the_aws_stages(self):
        # Item 4, for the secret moto cannot take: every stage passes its
        # check (recorded with the environment the run would give it), then
        # the run stops because TMPDIR does not exist.
        bin_dir, record = self.wrap()
        token = "session-token-" + uuid.uuid4().hex
        key_file = self.write_config(OFFLINE["LA_SHARED_KEY"] + "\n", "la.key")
        env = clean_env(C42_BIN_DIR=bin_dir, AWS_SESSION_TOKEN=token,
                        TMPDIR=os.path.join(self.workdir, "no-such-dir"),
                        LA_SHARED_KEY_FILE=key_file, **OFFLINE)
        proc = self.start([], env)
        status = self.finish(proc)
        self.assertOneLineError(status, 4, "cannot make a temporary directory")
        runs = self.recorded(record, check=True)
        self.assertEqual(sorted(runs), sorted(STAGES))
        for name, run in runs.items():
            with self.subTest(stage=name):
                self.assertEqual(run["ppid"], proc.pid, "not a direct child of the driver")
                self.assertEqual(run["env"].get("C42_DRIVER_PID"), str(proc.pid))
                aws = name in ("sqs-poll", "s3-fetch", "sqs-ack")
                self.assertEqual(run["env"].get("AWS_SESSION_TOKEN") == token, aws)
                self.assertFalse(any(token in a for a in run["args"]))
                # With a key file, la-post does not need the key itself.
                self.assertNotIn("LA_SHARED_KEY", run["env"])
                self.assertEqual("--shared-key-file=" + key_file in run["args"],
                                 name == "la-post")
        self.assertNotIn(token, self.err)


class Runs(DriverCase):
    """Runs against moto_server and the Log Analytics stand-in."""

    def setUp(self):
        super().setUp()
        self.moto = peers.Moto(os.path.join(self.workdir, "moto.log"))
        self.addCleanup(self.moto.stop)
        self.la = peers.LogAnalytics(self.workdir)
        self.addCleanup(self.la.stop)
        self.s3 = self.moto.client("s3")
        self.sqs = self.moto.client("sqs")
        self.bucket, self.queue = dataset.new_bucket_and_queue(self.s3, self.sqs)
        self.published = {}

    def publish(self, objects, lines_per_object=50):
        self.published = dataset.publish(self.s3, self.sqs, self.queue, self.bucket, objects,
                                         lines_per_object=lines_per_object)

    def env(self, bin_dir=BIN_DIR, **settings):
        """Secrets in the environment, the rest in a --config file."""
        path = self.config(dict({"SQS_QUEUE_URL": self.queue, "C42_BIN_DIR": bin_dir},
                                **settings))
        env = clean_env(**self.moto.tool_env())
        env.update(self.la.tool_env())
        return ["--config", path, "--json"], env

    def queue_counts(self):
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def remaining_keys(self, until):
        """Keys of the messages left on the queue, waiting until `until`
        (epoch seconds) at most for hidden ones to come back."""
        keys = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0, VisibilityTimeout=120)
            keys += [json.loads(m["Body"])["Object Key"] for m in got.get("Messages", [])]
            if not got.get("Messages"):
                if sum(self.queue_counts()) == len(keys) or time.time() > until:
                    return keys
                time.sleep(0.5)

    def assertNothingLost(self, remaining):
        """Every message that left the queue had all its lines delivered."""
        stored = reassemble(self.la.records())
        for key in set(self.published) - set(remaining):
            for line in self.published[key]:
                self.assertGreaterEqual(stored[(key, line)], 1,
                                        "%s was deleted but not all delivered" % key)

    def wait_until_posting(self, proc, timeout=60):
        deadline = time.time() + timeout
        while self.la.stats()["records_accepted"] == 0:
            self.assertIsNone(proc.poll(), "the run ended before anything was posted")
            self.assertLess(time.time(), deadline, "nothing was posted")
            time.sleep(0.05)

    # Item 2 -----------------------------------------------------------------

    def test_a_bad_setting_receives_nothing(self):
        self.publish(2)
        for settings in [{"C42_PARALLEL": "0"}, {"LA_LOG_TYPE": "bad type"},
                         {"C42_SKIP_BEFORE": "yesterday"}]:
            with self.subTest(settings=settings):
                args, env = self.env(**settings)
                status = self.ship(*args, env=env)
                self.assertOneLineError(status, 4, "rejects its settings")
                self.assertEqual(self.queue_counts(), (2, 0), "a message was received")
        self.assertEqual(self.la.stats()["requests"], 0)

    # Items 4 and 6 ------------------------------------------------------------

    def recorded_run(self, *args, **settings):
        self.publish(1, lines_per_object=20)
        bin_dir, record = self.wrap()
        base, env = self.env(bin_dir, **settings)
        started = time.time()
        proc = self.start(base + ["--max-messages-total", "1"] + list(args), env)
        status = self.finish(proc)
        self.assertEqual(status, 0, self.err)
        self.assertEqual(self.stats["messages_deleted"], 1)
        runs = self.recorded(record)
        self.assertEqual(sorted(runs), sorted(STAGES))
        return proc, started, runs

    def test_each_stage_gets_only_its_own_secrets(self):
        # Item 4: LA key (here from the config file) only to la-post, AWS
        # keys only to the AWS stages, nothing secret to c42-transform, none
        # in any argument list or output.
        la_key = self.la.shared_key
        proc, _, runs = self.recorded_run(LA_SHARED_KEY=la_key)
        secrets = [la_key, self.moto.shipper_keys[1]]
        for name, run in runs.items():
            with self.subTest(stage=name):
                self.assertEqual(run["ppid"], proc.pid, "not a direct child of the driver")
                self.assertEqual(run["env"].get("C42_DRIVER_PID"), str(proc.pid))
                env = run["env"]
                aws = name in ("sqs-poll", "s3-fetch", "sqs-ack")
                for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]:
                    self.assertEqual(key in env, aws, key)
                self.assertEqual("LA_SHARED_KEY" in env, name == "la-post")
                if name == "la-post":
                    self.assertEqual(env["LA_SHARED_KEY"], la_key)
                if name == "c42-transform":
                    self.assertEqual([k for k in env if k.startswith(("AWS_", "LA_", "SQS_"))], [])
                for secret in secrets:
                    self.assertFalse(any(secret in a for a in run["args"]))
        for secret in secrets:
            self.assertNotIn(secret, self.out + self.err)

    def test_every_network_stage_gets_the_runs_deadline_and_timeouts(self):
        # Item 6: sqs-poll stops receiving at the budget, s3-fetch and
        # la-post at the hard limit, sqs-ack 10 s after it; the connect and
        # stall limits and the age rule are passed on. 010 is ten, not eight.
        _, started, runs = self.recorded_run(
            "--budget", "010", "--hard-limit", "040", C42_CONNECT_TIMEOUT="3",
            C42_STALL_TIMEOUT="7", C42_MAX_BACKOFF="2.5", C42_SKIP_OLDER_THAN="2d")

        def option(name, option):
            values = [a.split("=", 1)[1] for a in runs[name]["args"]
                      if a.startswith(option + "=")]
            self.assertEqual(len(values), 1, "%s: %s in %s" % (name, option, runs[name]["args"]))
            return values[0]

        deadline = {name: parse_iso(option(name, "--deadline")) for name in NETWORK_STAGES}
        self.assertAlmostEqual(deadline["sqs-poll"], started + 10, delta=1.5)
        self.assertEqual(deadline["s3-fetch"] - deadline["sqs-poll"], 30)
        self.assertEqual(deadline["la-post"], deadline["s3-fetch"])
        self.assertEqual(deadline["sqs-ack"] - deadline["la-post"], GRACE)
        for name in NETWORK_STAGES:
            self.assertEqual(option(name, "--connect-timeout"), "3")
            self.assertEqual(option(name, "--stall-timeout"), "7")
            self.assertEqual(option(name, "--max-backoff"), "2.5")
        self.assertFalse(any("timeout" in a or "deadline" in a or "backoff" in a
                             for a in runs["c42-transform"]["args"]))
        self.assertNotIn("--row-id", runs["c42-transform"]["args"])
        self.assertEqual(option("s3-fetch", "--skip-older-than"), "2d")
        self.assertEqual(option("s3-fetch", "--skip-before"), "none")
        self.assertEqual(option("sqs-poll", "--visibility-timeout"), "100")

    def test_row_id_setting_gives_every_row_its_record_id(self):
        _, _, runs = self.recorded_run(C42_ROW_ID="1")
        self.assertIn("--row-id", runs["c42-transform"]["args"])
        rows = self.la.records()
        self.assertEqual(len(rows), 20)
        self.assertTrue(all(len(row.get("Record_Id", "")) == 32 for row in rows), rows[0])
        self.assertEqual(len({row["Record_Id"] for row in rows}), 20)

    # Item 5 -----------------------------------------------------------------

    def test_budget_43200_caps_the_visibility_timeout_with_a_warning(self):
        self.publish(1, lines_per_object=20)
        args, env = self.env()
        status = self.ship(*args, "--budget", "43200", "--max-messages-total", "1", env=env)
        self.assertEqual(status, 0, self.err)
        self.assertEqual(self.stats["messages_deleted"], 1)
        self.assertEqual(len(self.err.splitlines()), 1, self.err)
        self.assertTrue(self.err.startswith("c42-ship: warning: the visibility timeout is "
                                            "capped at 43200 s"), self.err)

    # Item 1 -----------------------------------------------------------------

    def interrupted_run(self, send):
        # Big enough objects that s3-fetch is in the middle of some when the
        # signal comes, and a slow workspace so la-post holds records.
        self.publish(10, lines_per_object=2000)
        self.la.set_rules([{"delay": 0.5, "times": -1}])
        args, env = self.env(C42_RELEASE="1")
        proc = self.start(args + ["--budget", "2", "--hard-limit", "20"], env)
        self.wait_until_posting(proc)
        send(proc)
        signalled = time.time()
        status = self.finish(proc)
        self.assertLess(time.time() - signalled, GRACE + 3)
        self.assertEqual(status, 130, self.err)
        self.assertEqual(self.stats["exit_status"], 130)
        self.assertNotIn("error", self.err)
        # Accurate statistics: every message sqs-poll received is counted,
        # and la-post's count is what the workspace stored.
        self.assertEqual(self.stats["messages_received"], 10)
        self.assertEqual(self.stats["records_sent"], len(self.la.records()))
        self.assertGreater(self.stats["records_sent"], 0)
        remaining = self.remaining_keys(until=time.time() + 60)
        self.assertEqual(self.stats["messages_deleted"], 10 - len(remaining))
        self.assertGreater(len(remaining), 0, "the signal came too late to test anything")
        self.assertNothingLost(remaining)

    def test_sigterm_mid_run_drains_and_exits_130(self):
        self.interrupted_run(lambda proc: os.kill(proc.pid, signal.SIGTERM))

    def test_ctrl_c_to_the_whole_process_group_drains_and_exits_130(self):
        # What a terminal does: SIGINT to every process of the foreground group.
        self.interrupted_run(lambda proc: os.killpg(proc.pid, signal.SIGINT))

    # Item 3 -----------------------------------------------------------------

    def test_kill_9_of_the_driver_leaves_no_stage_and_no_files(self):
        self.publish(10, lines_per_object=2000)
        self.la.set_rules([{"delay": 0.5, "times": -1}])
        args, env = self.env(C42_VISIBILITY_TIMEOUT="14")
        started = time.time()
        proc = self.start(args + ["--budget", "1", "--hard-limit", "4"], env)
        self.wait_until_posting(proc)
        stages = {pid: name for pid, name in children_of(proc.pid).items() if name != "sleep"}
        self.leftover |= set(stages)
        # sqs-poll and the tee after it may have finished their part.
        working = {"s3-fetch", "c42-transform", "la-post", "sqs-ack"}
        self.assertTrue(working <= set(stages.values()), stages)
        self.assertTrue(set(stages.values()) <= set(STAGES + ["tee"]), stages)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 5
        while any(alive(pid) for pid in stages) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual([name for pid, name in stages.items() if alive(pid)], [],
                         "stages outlived the driver")
        self.assertNoTempDirLeft()
        # Nothing deleted that was not delivered; the rest comes back when
        # its visibility timeout runs out.
        remaining = self.remaining_keys(until=started + 14 + 5)
        self.assertGreater(len(remaining), 0)
        self.assertNothingLost(remaining)

    # Item 7 -----------------------------------------------------------------

    def test_hard_limit_kills_a_hung_stage_without_job_lines(self):
        bin_dir, _ = self.wrap(hang=["c42-transform"])
        args, env = self.env(bin_dir)
        started = time.time()
        proc = self.start(args + ["--budget", "1", "--hard-limit", "2"], env)
        stages = {}
        while time.time() < started + 1.5 and len(stages) < 7:
            stages = children_of(proc.pid)
            time.sleep(0.05)
        self.leftover |= set(stages)
        status = self.finish(proc)
        self.assertLess(time.time() - started, 2 + GRACE + 5)
        self.assertEqual(status, 124, self.err)
        self.assertTrue(self.stats["hard_limit_struck"])
        self.assertNotIn("Killed", self.err)
        self.assertEqual(self.err, "c42-ship: warning: hard limit of 2 s reached; "
                                   "stopping the pipeline\n")
        self.assertEqual([name for pid, name in stages.items() if alive(pid)], [])


if __name__ == "__main__":
    unittest.main()
