"""Start and stop the local peers the pipeline talks to: moto_server (S3, SQS,
IAM, STS with signature and IAM-policy checks on) and the Log Analytics
stand-in. Every process is started on 127.0.0.1 and killed by its PID."""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
STANDIN = os.path.join(SOURCE_DIR, "tests", "standins", "la_standin.py")
FAULT_PROXY = os.path.join(SOURCE_DIR, "tests", "standins", "fault_proxy.py")

MOTO_HINT = 'moto_server not found; install it with: pip install "moto[server]"'

# The least privilege the pipeline needs. AWS authorises SQS batch calls as
# their single-message actions; moto checks them under their own names, so
# those are listed too (they grant nothing more).
SHIPPER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
        # sqs-ack --quarantine-s3 s3://<bucket>/c42-quarantine
        {"Effect": "Allow", "Action": ["s3:PutObject"],
         "Resource": "arn:aws:s3:::*/c42-quarantine/*"},
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessageBatch",
                "sqs:ChangeMessageVisibilityBatch",
            ],
            "Resource": "*",
        },
    ],
}

REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("peer exited early with status %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("peer did not listen on port %d within %.0f s" % (port, timeout))


def stop_process(proc, grace=5.0):
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def port_from_file(proc, port_file, what, timeout=20.0):
    """The port a stand-in wrote to its --port-file once listening; raises
    when it exits or takes longer than `timeout`."""
    deadline = time.time() + timeout
    while not read_text(port_file).strip():
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("%s did not start" % what)
        time.sleep(0.05)
    return int(read_text(port_file).strip())


def moto_command():
    exe = shutil.which("moto_server")
    if exe:
        return [exe]
    try:
        import moto.server  # noqa: F401

        return [sys.executable, "-m", "moto.server"]
    except ImportError:
        raise RuntimeError(MOTO_HINT)


class Moto:
    """moto_server with authentication on: the first three calls (creating
    an admin user) are free, every later call must be signed by a user whose
    IAM policy allows it."""

    FREE_CALLS = 3

    def __init__(self, log_path=None):
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        env = dict(os.environ)
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(self.FREE_CALLS)
        self.log = open(log_path or os.devnull, "wb")
        self.proc = subprocess.Popen(
            moto_command() + ["-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        try:
            wait_for_port(self.port, self.proc)
            self._create_users()
        except Exception:
            self.stop()
            raise

    def _client(self, service, keys):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def _create_users(self):
        anonymous = ("AKIAIOSFODNN7EXAMPLE", "anonymous")
        iam = self._client("iam", anonymous)
        iam.create_user(UserName="admin")
        iam.put_user_policy(
            UserName="admin", PolicyName="all",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        )
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        self.admin_keys = (key["AccessKeyId"], key["SecretAccessKey"])
        iam = self.client("iam")
        iam.create_user(UserName="shipper")
        iam.put_user_policy(UserName="shipper", PolicyName="ship",
                            PolicyDocument=json.dumps(SHIPPER_POLICY))
        key = iam.create_access_key(UserName="shipper")["AccessKey"]
        self.shipper_keys = (key["AccessKeyId"], key["SecretAccessKey"])

    def client(self, service):
        """An admin client, for setting up and inspecting fixtures."""
        return self._client(service, self.admin_keys)

    def tool_env(self, keys=None):
        """Environment for our tools, signed as the least-privilege user."""
        keys = keys or self.shipper_keys
        return {
            "AWS_ACCESS_KEY_ID": keys[0],
            "AWS_SECRET_ACCESS_KEY": keys[1],
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class RuledStandin:
    """What the stand-ins that take fault rules share: starting with the
    initial rules and seed, their control endpoints, stopping by PID."""

    def _start(self, cmd, workdir, name, what, rules=None, seed=None):
        port_file = os.path.join(workdir, name + "-port")
        self.log = open(os.path.join(workdir, name + ".log"), "wb")
        cmd = cmd + ["--port-file", port_file]
        if rules:
            cmd += ["--rules", json.dumps(rules)]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.port = port_from_file(self.proc, port_file, what)
        except RuntimeError:
            self.stop()
            raise
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def _control(self, method, path, body=None):
        import urllib.request

        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read()
            return json.loads(text) if text else None

    def set_rules(self, rules):
        self._control("POST", "/_control/rules", rules)

    def clear_rules(self):
        self._control("DELETE", "/_control/rules")

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class LogAnalytics(RuledStandin):
    """The strict Log Analytics stand-in with a fresh workspace and key. Given
    an Entra stand-in (tests/harness/entra.py), it also serves the Logs
    Ingestion API for a fresh DCR with one stream, taking the tokens that
    Entra issues for https://monitor.azure.com. With digest_over, string
    values longer than that many bytes are stored as their SHA-256 and
    length (la_standin.py --digest-over)."""

    STREAM = "Custom-Code42Logs_CL"

    def __init__(self, workdir, rules=None, entra=None, seed=None, digest_over=0):
        self.workspace_id = str(uuid.uuid4())
        self.shared_key = base64.b64encode(os.urandom(64)).decode()
        self.dcr_id = "dcr-" + uuid.uuid4().hex if entra else None
        self.store = os.path.join(workdir, "la-store.ndjson")
        key_file = os.path.join(workdir, "la-key")
        with open(key_file, "w") as f:
            f.write(self.shared_key)
        cmd = [sys.executable, STANDIN, "--host", "127.0.0.1", "--port", "0",
               "--workspace-id", self.workspace_id, "--shared-key-file", key_file,
               "--store", self.store]
        if entra:
            cmd += ["--dcr-id", self.dcr_id, "--stream", self.STREAM,
                    "--entra-jwks", entra.jwks_file]
        if digest_over:
            cmd += ["--digest-over", str(digest_over)]
        self._start(cmd, workdir, "la-standin", "Log Analytics stand-in", rules, seed)

    def tool_env(self):
        """The Data Collector API's settings."""
        return {
            "LA_WORKSPACE_ID": self.workspace_id,
            "LA_SHARED_KEY": self.shared_key,
            "LA_ENDPOINT": self.endpoint,
        }

    def ingestion_env(self):
        """The Logs Ingestion API's settings (the identity's come from Entra)."""
        return {
            "LA_INGESTION_ENDPOINT": self.endpoint,
            "LA_DCR_ID": self.dcr_id,
            "LA_STREAM": self.STREAM,
        }

    def stats(self):
        return self._control("GET", "/_control/stats")

    def records(self, api=None):
        """Accepted records, in arrival order; only those of one API
        ("ingestion", "data-collector") when given."""
        return [entry["record"] for entry in self.entries(api)]

    def entries(self, api=None):
        """The store's lines: each record with its post number and API."""
        if not os.path.exists(self.store):
            return []
        out = []
        with open(self.store, encoding="utf-8", newline="\n") as f:
            for line in f:
                if line.strip():
                    entry = json.loads(line)
                    if api is None or entry["api"] == api:
                        out.append(entry)
        return out


class FaultProxy(RuledStandin):
    """tests/standins/fault_proxy.py in front of a Moto: the tools reach moto
    through it (AWS_ENDPOINT_URL), and its rules inject S3 and SQS faults.
    Its events list the SQS receives and deletions it saw."""

    def __init__(self, workdir, moto, rules=None, seed=None, name="fault-proxy"):
        self._start([sys.executable, FAULT_PROXY, "--upstream", moto.endpoint], workdir, name,
                    "fault proxy", rules, seed)
        self.moto = moto

    def tool_env(self, keys=None):
        """moto.tool_env() with every AWS call sent through the proxy."""
        env = self.moto.tool_env(keys)
        env["AWS_ENDPOINT_URL"] = self.endpoint
        return env

    def stats(self):
        """{"<service> <action> <outcome>": count}."""
        return self._control("GET", "/_control/stats")

    def events(self):
        """SQS ReceiveMessage answers and DeleteMessage(Batch) requests, in
        arrival order: {"time", "action", "status", "queue_url", and
        "messages" [{"message_id", "receipt_handle", "body"}] or
        "receipt_handles" and "deleted" (those moto reported deleted)}."""
        return self._control("GET", "/_control/events")


class MotoCase(unittest.TestCase):
    """A test class sharing one moto_server (and, with WITH_LA, one Log
    Analytics stand-in) across its tests: clients as the admin, `env` for
    the tools as the least-privilege user, a scratch directory removed at
    the end."""

    WITH_LA = False

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="c42-%s-" % cls.__name__.lower())
        cls.moto = Moto(os.path.join(cls.workdir, "moto.log"))
        cls.la = LogAnalytics(cls.workdir) if cls.WITH_LA else None
        cls.s3 = cls.moto.client("s3")
        cls.sqs = cls.moto.client("sqs")
        cls.env = cls.moto.tool_env()

    @classmethod
    def tearDownClass(cls):
        if cls.la:
            cls.la.stop()
        cls.moto.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def new_queue(self):
        return self.sqs.create_queue(QueueName="q-" + uuid.uuid4().hex[:12])["QueueUrl"]

    def new_bucket(self):
        name = "bucket-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=name)
        return name

    def queue_counts(self, queue):
        """(visible, hidden) messages of the queue, as SQS counts them: read
        without receiving, so without disturbing the messages."""
        a = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])
