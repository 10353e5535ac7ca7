"""sqs-poll, s3-fetch and sqs-ack against moto_server with SigV4 and IAM
checks on, signed as a user allowed only s3:GetObject and the SQS
receive/delete/visibility calls."""

import base64
import gzip
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
import peers  # noqa: E402
from tools import controls, lines_of, records, run_tool  # noqa: E402


class MotoTestCase(peers.MotoCase):
    def queue_depth(self, queue):
        a = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def poll(self, queue, *extra):
        r = run_tool("sqs-poll", ["--queue-url", queue, "--until-empty", "--wait", "0", *extra],
                     env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        return lines_of(r.stdout)

    def fetch(self, messages, *args, expect=0):
        stdin = "".join(json.dumps(m) + "\n" for m in messages)
        r = run_tool("s3-fetch", list(args), input=stdin, env=self.env)
        self.assertEqual(r.returncode, expect, r.stderr.decode())
        return lines_of(r.stdout), r


class SqsPollTest(MotoTestCase):
    def test_emits_one_message_line_per_message(self):
        q = self.new_queue()
        bodies = {"body %d \u00e9" % i for i in range(13)}
        for b in bodies:
            self.sqs.send_message(QueueUrl=q, MessageBody=b)
        out = self.poll(q)
        self.assertEqual(len(out), 13)
        self.assertEqual({m["body"] for m in out}, bodies)
        for m in out:
            self.assertEqual(list(m)[0], "@c42")
            self.assertEqual(m["@c42"], "message")
            self.assertEqual(m["queue_url"], q)
            self.assertTrue(m["message_id"] and m["receipt_handle"])
            self.assertGreaterEqual(m["receive_count"], 1)

    def test_max_messages_total(self):
        q = self.new_queue()
        for i in range(7):
            self.sqs.send_message(QueueUrl=q, MessageBody=str(i))
        out = self.poll(q, "--max-messages-total", "3", "--max-messages", "2")
        self.assertEqual(len(out), 3)

    def test_wrong_secret_is_a_clear_error_without_the_secret(self):
        q = self.new_queue()
        env = dict(self.env, AWS_SECRET_ACCESS_KEY="not-the-secret-XYZ123")
        r = run_tool("sqs-poll", ["--queue-url", q, "--until-empty", "--wait", "0"], env=env)
        self.assertEqual(r.returncode, 5, r.stderr)
        err = r.stderr.decode()
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertTrue(err.startswith("sqs-poll: error: "), err)
        self.assertIn("403", err)
        self.assertNotIn("not-the-secret-XYZ123", err + r.stdout.decode())
        self.assertNotIn("Signature=", err)

    def test_missing_credentials_is_a_configuration_error(self):
        # Instance metadata, the chain's last source, is off: no test may
        # reach 169.254.169.254 (test_identity_aws covers that source).
        env = {"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": self.moto.endpoint,
               "AWS_EC2_METADATA_DISABLED": "true"}
        r = run_tool("sqs-poll", ["--queue-url", self.new_queue()], env=env)
        self.assertEqual(r.returncode, 4)
        self.assertIn("AWS_ACCESS_KEY_ID", r.stderr.decode())

    def test_usage_errors_exit_2(self):
        r = run_tool("sqs-poll", ["--queue-url", "x", "--max-messages", "11"], env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("try 'sqs-poll --help'", r.stderr.decode())

    def test_policy_denies_what_the_pipeline_does_not_need(self):
        # The tools work as this user (the other tests); prove it is not more.
        q = self.new_queue()
        import boto3
        from botocore.exceptions import ClientError
        shipper = boto3.client("sqs", endpoint_url=self.moto.endpoint, region_name="us-east-1",
                               aws_access_key_id=self.moto.shipper_keys[0],
                               aws_secret_access_key=self.moto.shipper_keys[1])
        with self.assertRaises(ClientError):
            shipper.send_message(QueueUrl=q, MessageBody="x")


class S3FetchTest(MotoTestCase):
    def put(self, bucket, key, data):
        self.s3.put_object(Bucket=bucket, Key=key, Body=data)

    def message(self, body, mid="m1"):
        return {"@c42": "message", "queue_url": "q", "message_id": mid,
                "receipt_handle": "rh-" + mid, "receive_count": 1, "body": body}

    def check_framed(self, out, expect_records):
        begins, ends = controls(out, "begin"), controls(out, "end")
        self.assertEqual(len(begins), 1)
        self.assertEqual(len(ends), 1)
        self.assertEqual(out[0]["@c42"], "begin")
        self.assertEqual(out[-1]["@c42"], "end")
        self.assertEqual(ends[0]["records"], expect_records)
        return ends[0]

    def test_code42_message_gzip_lines_arrive_exactly(self):
        b = self.new_bucket()
        lines = ['{"a":1}', '{"b":"\u2028 raw separator"}', "not json at all", '{"c":"é\\u0000"}']
        self.put(b, "x/one.json.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
        out, _ = self.fetch([self.message(dataset.code42_body(b, "x/one.json.gz", "T1"))])
        end = self.check_framed(out, 4)
        self.assertTrue(end["ok"])
        self.assertEqual(end["fetched"], 1)
        recs = records(out)
        self.assertEqual([r["line"] for r in recs], lines)
        self.assertEqual({r["event_time"] for r in recs}, {"T1"})
        self.assertEqual([r["index"] for r in recs], [1, 2, 3, 4])

    def test_multi_member_gzip_and_plain_without_trailing_newline(self):
        b = self.new_bucket()
        lines = ['{"n":%d}' % i for i in range(10)]
        self.put(b, "multi.gz", dataset.encode(lines, "multi-gzip"))
        self.put(b, "plain.json", dataset.encode(lines, "plain-no-newline"))
        for key in ("multi.gz", "plain.json"):
            out, _ = self.fetch([self.message(dataset.code42_body(b, key))])
            self.check_framed(out, 10)
            self.assertEqual([r["line"] for r in records(out)], lines, key)

    def test_invalid_utf8_and_long_line_survive(self):
        b = self.new_bucket()
        bad = b'{"name":"caf\xe9 \xff\xfe"}'
        long_line = json.dumps({"t": "\u00e9\u4e2d" * 70000}, ensure_ascii=False).encode()
        self.assertGreater(len(long_line), 200 * 1024)
        self.put(b, "odd.json.gz", gzip.compress(bad + b"\n" + long_line + b"\n"))
        out, _ = self.fetch([self.message(dataset.code42_body(b, "odd.json.gz"))])
        recs = records(out)
        self.assertEqual(base64.b64decode(recs[0]["line_b64"]), bad)
        self.assertIn("\ufffd", recs[0]["line"])
        self.assertEqual(recs[1]["line"].encode("utf-8"), long_line)
        self.assertNotIn("line_b64", recs[1])

    def test_s3_event_notification_with_url_encoded_key(self):
        b = self.new_bucket()
        self.put(b, "exports/my file.json", b'{"x":1}\n')
        body = json.dumps({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-11-25T02:00:00.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": b}, "object": {"key": "exports/my+file.json", "size": 8}}}]})
        out, _ = self.fetch([self.message(body)])
        recs = records(out)
        self.assertEqual(len(recs), 1)
        self.assertEqual(recs[0]["key"], "exports/my file.json")
        self.assertEqual(recs[0]["event_time"], "2026-11-25T02:00:00.000Z")

    def test_sns_wrapped_and_eventbridge(self):
        b = self.new_bucket()
        self.put(b, "k1.json", b'{"x":1}\n')
        inner = json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                         "eventTime": "2026-11-25T03:00:00Z",
                                         "s3": {"bucket": {"name": b}, "object": {"key": "k1.json"}}}]})
        sns = json.dumps({"Type": "Notification", "MessageId": "1", "TopicArn": "arn:aws:sns:x",
                          "Message": inner, "Timestamp": "2026-11-25T03:00:01Z"})
        bridge = json.dumps({"version": "0", "source": "aws.s3", "detail-type": "Object Created",
                             "time": "2026-11-25T04:00:00Z",
                             "detail": {"bucket": {"name": b}, "object": {"key": "k1.json"}}})
        out, _ = self.fetch([self.message(sns, "a"), self.message(bridge, "b")], "--parallel", "1")
        self.assertEqual(len(records(out)), 2)
        self.assertEqual({r["event_time"] for r in records(out)},
                         {"2026-11-25T03:00:00Z", "2026-11-25T04:00:00Z"})
        self.assertTrue(all(e["ok"] for e in controls(out, "end")))

    def test_test_event_needs_no_fetch_and_is_ok(self):
        body = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent",
                           "Time": "2026-11-25T00:00:00Z", "Bucket": "anything"})
        out, _ = self.fetch([self.message(body)])
        end = self.check_framed(out, 0)
        self.assertTrue(end["ok"])
        self.assertEqual(end["fetched"], 0)

    def test_unreadable_body_keeps_the_message(self):
        out, r = self.fetch([self.message("this is not an announcement")], expect=1)
        end = self.check_framed(out, 0)
        self.assertFalse(end["ok"])
        self.assertTrue(end["error"])

    def test_skip_before(self):
        b = self.new_bucket()
        self.put(b, "k.json", b'{"x":1}\n')
        msg = self.message(dataset.code42_body(b, "k.json"))
        out, _ = self.fetch([msg], "--skip-before", "2200-01-01")
        end = self.check_framed(out, 0)
        self.assertEqual((end["skipped"], end["fetched"], end["ok"]), (1, 0, True))
        out, _ = self.fetch([msg], "--skip-before", "2000-01-01T00:00:00Z")
        self.assertEqual(self.check_framed(out, 1)["fetched"], 1)
        out, _ = self.fetch([msg], "--skip-before", "none")
        self.assertEqual(self.check_framed(out, 1)["fetched"], 1)
        out, _ = self.fetch([msg])  # today: the object was just written
        self.assertEqual(self.check_framed(out, 1)["fetched"], 1)

    def test_missing_object_fails_its_message_unless_lenient(self):
        b = self.new_bucket()
        self.put(b, "there.json", b'{"x":1}\n')
        body = json.dumps({"Records": [
            {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "eventTime": "t",
             "s3": {"bucket": {"name": b}, "object": {"key": k}}} for k in ("there.json", "gone.json")]})
        out, r = self.fetch([self.message(body)], expect=1)
        end = controls(out, "end")[0]
        self.assertFalse(end["ok"])
        self.assertEqual((end["fetched"], end["failed"]), (1, 1))
        self.assertIn("NoSuchKey", end["error"])
        self.assertIn("s3-fetch: error:", r.stderr.decode())
        out, r = self.fetch([self.message(body)], "--lenient", expect=1)
        self.assertTrue(controls(out, "end")[0]["ok"])

    def test_reference_argument_replays_one_object(self):
        b = self.new_bucket()
        self.put(b, "dir/replay.json.gz", gzip.compress(b'{"a":1}\n{"a":2}\n'))
        r = run_tool("s3-fetch", ["--skip-before", "none", "s3://%s/dir/replay.json.gz" % b],
                     env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = lines_of(r.stdout)
        self.assertEqual(controls(out), [])
        self.assertEqual([x["line"] for x in out], ['{"a":1}', '{"a":2}'])

    def test_control_lines_it_does_not_own_pass_through_in_order(self):
        notes = [{"@c42": "note", "n": i} for i in range(3)]
        out, _ = self.fetch(notes)
        self.assertEqual(out, notes)

    def test_access_denied_is_clear(self):
        b = self.new_bucket()
        self.put(b, "k.json", b'{"x":1}\n')
        iam = self.moto.client("iam")
        name = "nos3-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        env = self.moto.tool_env((key["AccessKeyId"], key["SecretAccessKey"]))
        r = run_tool("s3-fetch", ["--skip-before", "none", "s3://%s/k.json" % b], env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AccessDenied", r.stderr.decode())


class S3FetchKeepAliveTest(MotoTestCase):
    """Each s3-fetch worker gets its objects over one connection it keeps
    open, counted by a fault proxy (without rules) in front of moto."""

    def setUp(self):
        self.proxy = peers.FaultProxy(self.workdir, self.moto, name="keepalive-proxy")
        self.addCleanup(self.proxy.stop)

    def test_one_connection_per_worker(self):
        b = self.new_bucket()
        messages = []
        for i in range(12):
            key = "k/%d.json.gz" % i
            self.s3.put_object(Bucket=b, Key=key, Body=gzip.compress(b'{"i":%d}\n' % i))
            messages.append({"@c42": "message", "queue_url": "q", "message_id": "m%d" % i,
                             "receipt_handle": "rh%d" % i, "receive_count": 1,
                             "body": dataset.code42_body(b, key)})
        for parallel in (1, 3):
            before = self.proxy.stats()
            stdin = "".join(json.dumps(m) + "\n" for m in messages)
            r = run_tool("s3-fetch", ["--parallel", str(parallel)], input=stdin,
                         env=self.proxy.tool_env())
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertEqual(len(records(lines_of(r.stdout))), 12)
            after = self.proxy.stats()
            gets = after.get("s3 GetObject 200", 0) - before.get("s3 GetObject 200", 0)
            connections = after.get("connections", 0) - before.get("connections", 0)
            self.assertEqual(gets, 12, after)
            self.assertGreaterEqual(connections, 1, after)
            self.assertLessEqual(connections, parallel, after)


class SqsAckTest(MotoTestCase):
    def end(self, m, ok=True, delivered=True):
        e = {"@c42": "end", "queue_url": m["queue_url"], "message_id": m["message_id"],
             "receipt_handle": m["receipt_handle"], "ok": ok, "fetched": 1, "skipped": 0,
             "failed": 0, "records": 1}
        if delivered:
            e["delivered"] = 1
        return e

    def begin(self, m):
        return {"@c42": "begin", "queue_url": m["queue_url"], "message_id": m["message_id"],
                "receipt_handle": m["receipt_handle"]}

    def test_deletes_only_delivered_ok_messages(self):
        q = self.new_queue()
        for i in range(14):
            self.sqs.send_message(QueueUrl=q, MessageBody="m%d" % i)
        ms = SqsPollTest.poll(self, q, "--visibility-timeout", "300")
        self.assertEqual(len(ms), 14)
        lines = []
        for m in ms[:11]:  # more than one DeleteMessageBatch
            lines += [self.begin(m), self.end(m)]
        lines += [self.begin(ms[11]), self.end(ms[11], ok=False)]
        lines += [self.begin(ms[12]), self.end(ms[12], delivered=False)]
        lines += [self.begin(ms[13])]  # its end never came
        r = run_tool("sqs-ack", input="".join(json.dumps(x) + "\n" for x in lines), env=self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        results = {x["message_id"]: x for x in lines_of(r.stdout)}
        self.assertEqual(len(results), 14)
        for m in ms[:11]:
            self.assertEqual(results[m["message_id"]]["action"], "deleted")
        for m in ms[11:]:
            self.assertEqual(results[m["message_id"]]["action"], "kept")
        self.assertIn("incomplete", results[ms[13]["message_id"]]["reason"])
        self.assertEqual(self.queue_depth(q), 3)

    def test_release_makes_failed_messages_visible_again(self):
        q = self.new_queue()
        self.sqs.send_message(QueueUrl=q, MessageBody="fail me")
        ms = SqsPollTest.poll(self, q, "--visibility-timeout", "300")
        lines = [self.begin(ms[0]), self.end(ms[0], ok=False)]
        r = run_tool("sqs-ack", ["--release"], input="".join(json.dumps(x) + "\n" for x in lines),
                     env=self.env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(lines_of(r.stdout)[0]["action"], "released")
        again = self.sqs.receive_message(QueueUrl=q, WaitTimeSeconds=0)
        self.assertEqual([m["Body"] for m in again.get("Messages", [])], ["fail me"])

    def test_stale_receipt_handle_is_reported_as_delete_failed(self):
        q = self.new_queue()
        m = {"queue_url": q, "message_id": "nope", "receipt_handle": "garbage-handle"}
        lines = [self.begin(m), self.end(m)]
        r = run_tool("sqs-ack", input="".join(json.dumps(x) + "\n" for x in lines), env=self.env)
        self.assertNotEqual(r.returncode, 0)
        result = lines_of(r.stdout)[0]
        self.assertIn(result["action"], ("delete-failed",))
        self.assertTrue(result["reason"])


if __name__ == "__main__":
    unittest.main()
