"""The whole job the way the people c42-ship is built for run it: in Azure
under a managed identity, with no key stored anywhere. c42-ship gets AWS
credentials by exchanging the identity's Entra token at STS, works on SQS
and S3 as a least-privilege role (moto checks every call as that role), and
posts through the Logs Ingestion API with a token for the same identity.
Also: every secret and token of a run, kept out of all its output."""

import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import dataset  # noqa: E402
from keyless import KeylessWorld  # noqa: E402
from test_pipeline import reassemble  # noqa: E402
from tools import BIN_DIR, DRIVER  # noqa: E402

# What no output may hold: a JWT (every Entra token starts so), a SigV4 or
# SharedKey authorization.
TOKEN_SHAPES = [re.compile(r"eyJ[A-Za-z0-9_-]{10,}"), re.compile(r"Signature="),
                re.compile(r"SharedKey [^ ]+:"), re.compile(r"Bearer [A-Za-z0-9]")]


class KeylessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="c42-keyless-")
        cls.world = KeylessWorld(cls.workdir)
        cls.s3 = cls.world.moto.client("s3")
        cls.sqs = cls.world.moto.client("sqs")

    @classmethod
    def tearDownClass(cls):
        cls.world.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        self.bucket = "code42-" + uuid.uuid4().hex[:10]
        self.s3.create_bucket(Bucket=self.bucket)
        self.queue = self.sqs.create_queue(QueueName="c42-" + uuid.uuid4().hex[:8])["QueueUrl"]
        self.outputs = []

    def tearDown(self):
        secrets = self.world.secrets()
        for text in self.outputs:
            for secret in secrets:
                self.assertNotIn(secret, text, "a secret appeared in the output")
            for shape in TOKEN_SHAPES:
                self.assertIsNone(shape.search(text), "a token or signature appeared: %s" %
                                  shape.pattern)

    def ship(self, *args, extra=None):
        # Only what the platform and the configuration give: the tests'
        # own AWS_/LA_/AZURE_ settings stay out.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "LA_", "SQS_", "C42_", "AZURE_", "IDENTITY_"))}
        env.update(self.world.env(self.queue), C42_BIN_DIR=BIN_DIR)
        env.update(extra or {})
        r = subprocess.run([DRIVER, "--budget", "60", *args], env=env, capture_output=True,
                           timeout=240)
        self.outputs += [r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")]
        return r

    def queue_left(self):
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])

    def test_managed_identity_to_sts_to_logs_ingestion_byte_exact(self):
        published = dataset.publish(self.s3, self.sqs, self.queue, self.bucket, 12,
                                    lines_per_object=120, long_every=53)
        before = len(self.world.la.records("ingestion"))
        r = self.ship("--json")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stderr, b"")
        stored = reassemble(self.world.la.records("ingestion")[before:])
        expected = collections.Counter((k, l) for k, ls in published.items() for l in ls)
        self.assertEqual(stored, expected)
        self.assertEqual(self.queue_left(), 0)
        # The AWS stages exchanged the identity at STS; no AWS key exists.
        self.assertGreaterEqual(self.world.sts.calls(), 1)

    def test_whoami_names_the_azure_identity_and_the_role(self):
        r = self.ship("--whoami")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        line = r.stdout.decode()
        self.assertRegex(line, r"^provider: Azure identity \(C42_AZURE_TOKEN_AUDIENCE\); "
                               r"arn: arn:aws:sts::\d{12}:assumed-role/c42-shipper/\S+; "
                               r"account: \d{12}\n$")

    def test_a_refused_identity_is_one_line_and_nothing_is_received(self):
        dataset.publish(self.s3, self.sqs, self.queue, self.bucket, 2, lines_per_object=5)
        r = self.ship(extra={"C42_AZURE_TOKEN_AUDIENCE": "api://not-trusted"})
        self.assertEqual(r.returncode, 4, r.stderr.decode())
        err = r.stderr.decode()
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertTrue(err.startswith("c42-ship: error: AWS credentials: Azure identity"), err)
        self.assertIn("InvalidIdentityToken", err)
        a = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["All"])["Attributes"]
        self.assertEqual(int(a["ApproximateNumberOfMessagesNotVisible"]), 0)

    def test_a_logs_ingestion_refusal_keeps_every_message(self):
        dataset.publish(self.s3, self.sqs, self.queue, self.bucket, 3, lines_per_object=5)
        self.world.la.set_rules([{"api": "ingestion", "status": 403, "times": -1,
                                  "error": "OperationFailed"}])
        try:
            r = self.ship()
        finally:
            self.world.la.clear_rules()
        self.assertNotIn(r.returncode, (0,), r.stderr.decode())
        self.assertEqual(self.queue_left(), 3)


if __name__ == "__main__":
    unittest.main()
