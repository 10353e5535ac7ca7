"""Visibility against moto_server: sqs-ack's heartbeat keeps a message that
is still in work hidden past the visibility timeout it was received with,
and stops extending it once it is resolved; a run without a budget relies
on it; at a run's deadline the messages not yet started are released at
once, while the one in progress is not.

Timeouts are tiny (2 s) so that "past its timeout" is seconds away; what is
hidden is read from the queue's own counters, as the admin, so nothing here
receives (and so disturbs) the messages under test."""

import json
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from test_pipeline import reassemble  # noqa: E402
from tools import BIN_DIR, lines_of, run_driver, run_tool, tool_path  # noqa: E402

VISIBILITY = 2


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    env.update(extra)
    return env


# A stage that holds the stream for a while: it becomes the real tool after
# HOLD seconds (at once for the driver's --check-config).
SLOW_STAGE = """#!/usr/bin/env bash
case " $* " in *" --check-config "*) exec {real} "$@" ;; esac
sleep {hold}
exec {real} "$@"
"""


class VisibilityCase(peers.MotoCase):
    WITH_LA = True

    def watch(self, queue):
        """Samples the visible count on a thread, from the moment a message
        is first hidden (received), until the returned stop() is called;
        stop() returns the samples."""
        samples, done = [], threading.Event()

        def loop():
            while not done.is_set():
                visible, hidden = self.queue_counts(queue)
                if samples or hidden:
                    samples.append(visible)
                time.sleep(0.25)
        thread = threading.Thread(target=loop)
        thread.start()

        def stop():
            done.set()
            thread.join()
            return samples
        return stop

    def bin_dir(self, slow=None, hold=0):
        """C42_BIN_DIR with the real tools, `slow` made to wait `hold` s."""
        path = os.path.join(self.workdir, "bin-%s-%s" % (slow, hold))
        os.makedirs(path, exist_ok=True)
        for name in ["sqs-poll", "s3-fetch", "c42-transform", "la-post", "sqs-ack"]:
            link = os.path.join(path, name)
            if os.path.lexists(link):
                continue
            if name == slow:
                with open(link, "w") as f:
                    f.write(SLOW_STAGE.format(real=tool_path(name), hold=hold))
                os.chmod(link, 0o755)
            else:
                os.symlink(tool_path(name), link)
        return path

    def ship(self, queue, *args, bin_dir=BIN_DIR, **settings):
        env = dict(self.moto.tool_env(), **self.la.tool_env())
        return run_driver(dict({"SQS_QUEUE_URL": queue, "C42_BIN_DIR": bin_dir}, **settings),
                          env, args, self.workdir)


class Heartbeat(VisibilityCase):
    def test_held_message_stays_hidden_until_resolved_then_shows_again(self):
        # sqs-poll hands its leases to sqs-ack through a FIFO, as c42-ship
        # does through a pipe; the test plays the stages in between.
        q = self.new_queue()
        for body in ("one", "two"):
            self.sqs.send_message(QueueUrl=q, MessageBody=body)
        fifo = os.path.join(self.workdir, "leases-%d" % time.monotonic_ns())
        os.mkfifo(fifo)
        ack = subprocess.Popen([tool_path("sqs-ack"), "--leases", fifo], env=clean_env(self.env),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        self.addCleanup(lambda: ack.poll() is None and ack.kill())
        received = time.time()
        r = run_tool("sqs-poll", ["--queue-url", q, "--until-empty", "--wait", "0",
                                  "--visibility-timeout", str(VISIBILITY), "--leases", fifo],
                     env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        messages = {m["body"]: m for m in lines_of(r.stdout)}
        self.assertEqual(sorted(messages), ["one", "two"])

        def send(line):
            ack.stdin.write((json.dumps(line) + "\n").encode())
            ack.stdin.flush()

        def ref(m):
            return {k: m[k] for k in ("queue_url", "message_id", "receipt_handle")}
        for m in messages.values():
            send(dict({"@c42": "begin"}, **ref(m)))
        # Well past the 2 s they were received with, neither has shown.
        stop = self.watch(q)
        time.sleep(received + 3 * VISIBILITY - time.time())
        samples = stop()
        self.assertGreater(len(samples), 10)
        self.assertEqual(set(samples), {0}, "a message in work showed on its queue")
        self.assertEqual(self.queue_counts(q), (0, 2))

        # "one" is resolved (kept: it failed): no more extensions, so it shows
        # again within its 2 s, while "two" stays hidden.
        send(dict({"@c42": "end", "ok": False, "error": "boom", "delivered": 0},
                  **ref(messages["one"])))
        resolved = time.time()
        while self.queue_counts(q)[0] == 0 and time.time() < resolved + VISIBILITY + 3:
            time.sleep(0.2)
        shown = time.time() - resolved
        self.assertEqual(self.queue_counts(q), (1, 1), "the kept message shows, the held one does not")
        self.assertLessEqual(shown, VISIBILITY + 1.5)
        time.sleep(VISIBILITY + 0.5)
        self.assertEqual(self.queue_counts(q), (1, 1), "still extending the one in work")

        send(dict({"@c42": "end", "ok": True, "delivered": 1}, **ref(messages["two"])))
        out, err = ack.communicate(timeout=30)
        self.assertEqual(ack.returncode, 1, err)
        self.assertEqual(err, b"", "no extension failed")
        results = {x["message_id"]: x["action"] for x in lines_of(out)}
        self.assertEqual(results, {messages["one"]["message_id"]: "kept",
                                   messages["two"]["message_id"]: "deleted"})
        self.assertEqual(self.queue_counts(q), (1, 0))

    def test_run_without_a_budget_keeps_a_slow_message_hidden(self):
        # c42-transform waits 6 s before it reads anything: three times the
        # visibility timeout the message was received with.
        q = self.new_queue()
        bucket = self.new_bucket()
        published = dataset.publish(self.s3, self.sqs, q, bucket, 1, lines_per_object=40)
        stop = self.watch(q)
        status, stats, err = self.ship(
            q, "--budget", "0", "--max-messages-total", "1",
            bin_dir=self.bin_dir("c42-transform", 3 * VISIBILITY),
            C42_VISIBILITY_TIMEOUT=VISIBILITY)
        samples = stop()
        self.assertEqual(status, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(stats["messages_deleted"], 1)
        self.assertGreater(len(samples), 10)
        self.assertEqual(set(samples), {0}, "the message showed on its queue while in work")
        self.assertEqual(self.queue_counts(q), (0, 0))
        stored = reassemble(self.la.records())
        for key, lines in published.items():
            for line in lines:
                self.assertEqual(stored[(key, line)], 1)


class ReleaseAtDeadline(VisibilityCase):
    def test_unstarted_messages_are_released_the_one_in_progress_is_not(self):
        # One object at a time, each big enough to fill the pipes while
        # c42-transform has not started (each tool widens its output pipe to
        # 1 MiB, and s3-fetch buffers a quarter of that): at the hard limit
        # (3 s) one message is in progress and the other five have not been
        # started.
        q = self.new_queue()
        bucket = self.new_bucket()
        published = dataset.publish(self.s3, self.sqs, q, bucket, 6, lines_per_object=6000)
        status, stats, err = self.ship(
            q, "--budget", "1", "--hard-limit", "3",
            bin_dir=self.bin_dir("c42-transform", 4), C42_PARALLEL=1)
        ended = time.time()
        self.assertEqual(status, 124, err)
        self.assertEqual(stats["messages_received"], 6)
        self.assertEqual(stats["messages_released"], 5, err)
        self.assertEqual(stats["messages_deleted"], 0)
        # Released: visible at once, not after the 63 s they were received with.
        self.assertEqual(self.queue_counts(q), (5, 1))
        self.assertLess(time.time() - ended, 5)
        got = self.sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                       VisibilityTimeout=60,
                                       AttributeNames=["ApproximateReceiveCount"])["Messages"]
        keys = {json.loads(m["Body"])["Object Key"] for m in got}
        self.assertEqual(len(keys), 5)
        self.assertTrue(keys < set(published))
        for m in got:
            self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "2")


if __name__ == "__main__":
    unittest.main()
