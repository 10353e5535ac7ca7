"""What an operator sees of a run: the statistics as a summary on a
terminal and as JSON elsewhere, the progress line (terminal only), and
--metrics-file, read back with the Prometheus client's own parser. Against
moto_server and the Log Analytics stand-in on 127.0.0.1; ObserveCase is
shared with test_dry_run.py."""

import json
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import BIN_DIR, DRIVER  # noqa: E402

# The Debian package python3-prometheus-client (scripts/packages) lives in
# the system Python, which may not be the one running the tests.
SYSTEM_PYTHON = "/usr/bin/python3"
PARSE_METRICS = """
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        out[sample.name] = {"type": family.type, "help": family.documentation,
                            "value": sample.value, "labels": sample.labels}
print(json.dumps(out))
"""


def parse_metrics(text):
    """{sample name: {type, help, value, labels}} as the Prometheus client
    library reads the text format; fails the test when it cannot."""
    r = subprocess.run([SYSTEM_PYTHON, "-c", PARSE_METRICS], input=text.encode(),
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("the Prometheus parser refused the file: " + r.stderr.decode())
    return json.loads(r.stdout)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    env.update(extra)
    return env


class ObserveCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.classdir = tempfile.mkdtemp(prefix="c42-observe-")
        cls.moto = peers.Moto(os.path.join(cls.classdir, "moto.log"))
        cls.la = peers.LogAnalytics(cls.classdir)
        cls.s3 = cls.moto.client("s3")
        cls.sqs = cls.moto.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.la.stop()
        cls.moto.stop()
        shutil.rmtree(cls.classdir, ignore_errors=True)

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="run-", dir=self.classdir)
        self.la.clear_rules()
        self.bucket, self.queue = dataset.new_bucket_and_queue(self.s3, self.sqs)
        self.requests_before = self.la.stats()["requests"]
        self.records_before = len(self.la.records())

    def publish(self, objects, lines=20):
        return dataset.publish(self.s3, self.sqs, self.queue, self.bucket, objects,
                               lines_per_object=lines, prefix="code42/%s/" % self._testMethodName)

    def queue_counts(self):
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def posted_requests(self):
        return self.la.stats()["requests"] - self.requests_before

    def driver(self, args, la=True, **settings):
        """The command line and environment of a run: the AWS keys and (with
        la) the Data Collector API's in the environment, the rest in a
        --config file."""
        path = os.path.join(self.workdir, "c42-ship.env")
        with open(path, "w") as f:
            for kv in dict({"SQS_QUEUE_URL": self.queue, "C42_BIN_DIR": BIN_DIR},
                           **settings).items():
                f.write("%s=%s\n" % kv)
        env = clean_env(**self.moto.tool_env())
        if la:
            env.update(self.la.tool_env())
        return [DRIVER, "--config", path] + list(args), env

    def ship(self, args, la=True, **settings):
        cmd, env = self.driver(args, la, **settings)
        r = subprocess.run(cmd, env=env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=90)
        self.err = r.stderr.decode("utf-8", "replace")
        out = r.stdout.decode()
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 1, "one JSON line on a pipe: %r\n%s" % (out, self.err))
        return r.returncode, json.loads(lines[0])


class Metrics(ObserveCase):
    def read_metrics(self, path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        metrics = parse_metrics(text)
        for name, sample in metrics.items():
            self.assertTrue(name.startswith("c42_ship_"), name)
            self.assertTrue(sample["help"], name)
            self.assertEqual(sample["labels"], {})
            if sample["type"] == "counter":
                self.assertTrue(name.endswith("_total"), name)
        return {name: sample["value"] for name, sample in metrics.items()}

    def test_metrics_file_holds_the_runs_figures_and_keeps_the_last_success(self):
        path = os.path.join(self.workdir, "prom", "c42-ship.prom")
        os.mkdir(os.path.dirname(path))
        published = self.publish(2)
        first_sent = time.time()
        time.sleep(1.2)  # so that the oldest message is measurably old
        started = time.time()
        status, stats = self.ship(["--json", "--metrics-file", path])
        ended = time.time()
        self.assertEqual(status, 0, self.err)
        m = self.read_metrics(path)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o644)
        self.assertEqual(os.listdir(os.path.dirname(path)), ["c42-ship.prom"],
                         "no temporary file is left")
        rows = sum(len(lines) for lines in published.values())
        self.assertEqual(m["c42_ship_runs_total"], 1)
        self.assertEqual(m["c42_ship_messages_received_total"], 2)
        self.assertEqual(m["c42_ship_messages_deleted_total"], 2)
        self.assertEqual(m["c42_ship_messages_kept_total"], 0)
        self.assertEqual(m["c42_ship_messages_quarantined_total"], 0)
        self.assertEqual(m["c42_ship_objects_fetched_total"], 2)
        self.assertEqual(m["c42_ship_records_sent_total"], rows)
        self.assertEqual(m["c42_ship_records_sent_total"], len(self.la.records()) -
                         self.records_before)
        self.assertEqual(m["c42_ship_sent_bytes_total"], stats["bytes_sent"])
        self.assertGreater(m["c42_ship_sent_bytes_total"], rows * 10)
        self.assertEqual(m["c42_ship_post_retries_total"], 0)
        self.assertEqual(m["c42_ship_last_run_duration_seconds"], stats["elapsed_seconds"])
        self.assertLessEqual(m["c42_ship_last_run_duration_seconds"], ended - started + 0.1)
        age = m["c42_ship_last_run_oldest_message_age_seconds"]
        self.assertEqual(age, stats["oldest_message_age_seconds"])
        self.assertGreaterEqual(age, started - first_sent - 0.5)
        self.assertLessEqual(age, started - first_sent + 2.0)
        self.assertEqual(m["c42_ship_last_run_exit_status"], 0)
        success = m["c42_ship_last_success_timestamp_seconds"]
        self.assertGreaterEqual(success, int(started))
        self.assertLessEqual(success, ended)
        self.assertEqual(m["c42_ship_last_run_timestamp_seconds"], success)

        # A second run, through the setting, that fails: Log Analytics
        # refuses every request, once and for good.
        self.publish(1)
        self.la.set_rules([{"status": 403, "times": -1}])
        time.sleep(1.1)  # a later second for the last run's timestamp
        status, stats = self.ship(["--json"], C42_METRICS_FILE=path)
        self.assertEqual(status, 5, self.err)
        m2 = self.read_metrics(path)
        self.assertEqual(m2["c42_ship_runs_total"], 2)
        self.assertEqual(m2["c42_ship_messages_received_total"], 3, "counters carry on")
        self.assertEqual(m2["c42_ship_messages_deleted_total"], 2)
        self.assertEqual(m2["c42_ship_messages_kept_total"], 1)
        self.assertEqual(m2["c42_ship_records_sent_total"], rows)
        self.assertEqual(m2["c42_ship_last_run_exit_status"], 5)
        self.assertEqual(m2["c42_ship_last_success_timestamp_seconds"], success,
                         "a failed run keeps the last success")
        self.assertGreater(m2["c42_ship_last_run_timestamp_seconds"], success)

    def test_an_unwritable_metrics_directory_receives_nothing(self):
        self.publish(1)
        cmd, env = self.driver(["--metrics-file", os.path.join(self.workdir, "no", "m.prom")])
        r = subprocess.run(cmd, env=env, capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 4)
        self.assertRegex(r.stderr.decode(), r"^c42-ship: error: cannot write the metrics file")
        self.assertEqual(self.queue_counts(), (1, 0))


class Terminal(ObserveCase):
    def on_a_terminal(self, args, **settings):
        """Runs the driver with standard output and error on one pseudo
        terminal; returns (status, everything it wrote there)."""
        cmd, env = self.driver(args, **settings)
        master, slave = pty.openpty()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=slave, close_fds=True)
        os.close(slave)
        seen = b""
        deadline = time.time() + 90
        try:
            while time.time() < deadline:
                ready, _, _ = select.select([master], [], [], 0.5)
                if ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:  # EIO: every writer has gone
                        break
                    if not chunk:
                        break
                    seen += chunk
                elif proc.poll() is not None:
                    break
        finally:
            os.close(master)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        return proc.returncode, seen.decode("utf-8", "replace")

    def slow_run(self):
        self.publish(2)
        # One post takes 2.5 s: long enough for the progress line (after 2 s).
        self.la.set_rules([{"delay": 2.5, "times": 1}])

    def test_a_terminal_gets_a_summary_and_a_progress_line(self):
        self.slow_run()
        status, text = self.on_a_terminal([])
        self.assertEqual(status, 0, text)
        self.assertRegex(text, r"\rc42-ship: \d+\.\d s: 2 messages received, [0-2] done, "
                               r"\d+ records\x1b\[K")
        self.assertIn("\r\x1b[K", text, "the progress line is erased at the end")
        self.assertRegex(text, r"messages  2 received, 2 deleted, 0 kept \(0 released\), "
                               r"0 quarantined\r?\n")
        self.assertRegex(text, r"objects   2 fetched, 0 skipped, 0 failed\r?\n")
        self.assertRegex(text, r"records   40 sent in \d+\.\d s\r?\n")
        self.assertNotIn("{", text, "no JSON on a terminal unless asked")

    def test_json_on_a_terminal_when_asked(self):
        self.publish(1)
        status, text = self.on_a_terminal(["--json"])
        self.assertEqual(status, 0, text)
        # After the progress line's erasure, when the run was long enough
        # to show one.
        last = text.strip().splitlines()[-1].rsplit("\x1b[K", 1)[-1]
        stats = json.loads(last)
        self.assertEqual(stats["messages_deleted"], 1)

    def test_a_pipe_gets_one_json_line_and_no_progress(self):
        self.slow_run()
        status, stats = self.ship([])
        self.assertEqual(status, 0, self.err)
        self.assertEqual(stats["messages_deleted"], 2)
        self.assertEqual(stats["records_sent"], 40)
        self.assertNotIn("\r", self.err)
        self.assertEqual(self.err, "")


if __name__ == "__main__":
    unittest.main()
