"""sqs-poll, s3-fetch and sqs-ack working as an IAM role, with no AWS key
in their environment: the credentials chain's web identity, profile,
credential_process and container sources against moto_server (IAM checks
on), the STS stand-in (which mints real moto credentials for the role) and
the Entra stand-in (which issues the web identity tokens). Every error
path gives one line that names the source and the fix, and exit status 4,
with nothing received or deleted; no output ever holds a token, key or
signature."""

import json
import os
import re
import socket
import sys
import threading
import time
import unittest
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "standins"))
import dataset  # noqa: E402
import jwt_rs256  # noqa: E402
import peers  # noqa: E402
import sts  # noqa: E402
from entra import Entra  # noqa: E402
from tools import controls, lines_of, records, run_tool  # noqa: E402

ROLE_SESSION = re.compile(r"arn:aws:sts::123456789012:assumed-role/c42-shipper/c42-ship-\d+$")
UNTRUSTED_SUBJECT = "system:serviceaccount:other:intruder"


class Endpoint:
    """A loopback HTTP server in this process, answering GETs with what
    `answer(handler)` returns as (status, JSON body), or never answering at
    all (`silent`): the container endpoint, or an instance metadata service
    that does not answer."""

    def __init__(self, answer=None, silent=False):
        outer = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append((self.command, self.path))
                status, body = answer(self)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                outer.requests.append((self.command, self.path))
                self.do_GET()

        if silent:
            # Accepts connections (the backlog does) and never reads or answers.
            self.socket = socket.socket()
            self.socket.bind(("127.0.0.1", 0))
            self.socket.listen(16)
            self.port = self.socket.getsockname()[1]
            self.server = None
        else:
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            self.server.daemon_threads = True
            self.port = self.server.server_address[1]
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
            self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
        else:
            self.socket.close()


class IdentityTest(peers.MotoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.entra = None
        cls.sts = None
        try:
            cls.entra = Entra(cls.workdir)
            cls.role = sts.create_role(cls.moto, "c42-shipper")
            # A role that may receive and delete but not read objects: what
            # s3-fetch does as it must be checked as this role, not another.
            policy = json.loads(json.dumps(peers.SHIPPER_POLICY))
            policy["Statement"] = policy["Statement"][1:]
            cls.sqs_only_role = sts.create_role(cls.moto, "c42-sqs-only", policy)
            shipper = cls.entra.workload_subject
            cls.trust = sts.entra_trust(cls.entra, cls.workdir, {
                cls.role: [sts.trusts_tenant(cls.entra),
                           sts.trusts_service_account(cls.entra, shipper)],
                cls.sqs_only_role: [sts.trusts_service_account(cls.entra, shipper)],
            })
            cls.sts = sts.Sts(cls.workdir, cls.moto, cls.trust)
        except Exception:
            cls.tearDownClass()
            raise
        cls.home = os.path.join(cls.workdir, "home")
        os.mkdir(cls.home)
        # No key anywhere: only what each test sets. The shared files and
        # instance metadata of the machine running the tests stay out.
        cls.base_env = {
            "AWS_REGION": peers.REGION,
            "AWS_ENDPOINT_URL": cls.moto.endpoint,
            "AWS_ENDPOINT_URL_STS": cls.sts.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": cls.home,
        }

    @classmethod
    def tearDownClass(cls):
        for peer in (cls.sts, cls.entra):
            if peer:
                peer.stop()
        super().tearDownClass()

    def setUp(self):
        self.outputs = []  # every tool's stdout and stderr in this test
        self.secrets = []  # what must never be in them

    def tearDown(self):
        secrets = list(self.secrets)
        for c in self.sts.issued():
            secrets += [c["SecretAccessKey"], c["SessionToken"]]
        secrets.append(self.entra.client_secret)
        for text in self.outputs:
            for secret in secrets:
                self.assertNotIn(secret, text, "a secret appeared in a tool's output")
            self.assertNotIn("Signature=", text)

    # --- helpers ---

    def tool(self, name, args=(), env=None, input=b"", timeout=60):
        full = dict(self.base_env, **(env or {}))
        r = run_tool(name, args, input=input, env=full, timeout=timeout)
        self.outputs += [r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")]
        return r

    def token_file(self, token, name=None):
        self.secrets.append(token)
        path = os.path.join(self.workdir, name or "token-" + uuid.uuid4().hex[:8])
        with open(path, "w") as f:
            f.write(token + "\n")
        return path

    def client_credentials_token(self, audience=sts.AZURE_AUDIENCE):
        """An Entra access token for `audience`, as a confidential client gets it."""
        data = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": self.entra.client_id,
            "client_secret": self.entra.client_secret, "scope": audience + "/.default"}).encode()
        url = "%s/%s/oauth2/v2.0/token" % (self.entra.base, self.entra.tenant)
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as resp:
            return json.loads(resp.read())["access_token"]

    def web_identity_env(self, token, role=None):
        return {"AWS_ROLE_ARN": role or self.role,
                "AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file(token)}

    def announce(self, lines=3):
        """A fresh queue announcing one fresh object of `lines` lines."""
        q, b = self.new_queue(), self.new_bucket()
        body = ['{"n":%d,"id":"%s"}' % (i, uuid.uuid4()) for i in range(lines)]
        self.s3.put_object(Bucket=b, Key="export.json", Body="\n".join(body) + "\n")
        self.sqs.send_message(QueueUrl=q, MessageBody=dataset.code42_body(b, "export.json"))
        return q, body

    def depth(self, q):
        a = self.sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
        return (int(a["ApproximateNumberOfMessages"]),
                int(a["ApproximateNumberOfMessagesNotVisible"]))

    def ship(self, env):
        """sqs-poll | s3-fetch | sqs-ack as the identity `env` gives, the
        delivery marked as la-post would mark it; checks every record came
        through and the queue is empty."""
        q, body = self.announce()
        poll = self.tool("sqs-poll", ["--queue-url", q, "--until-empty", "--wait", "0",
                                     "--visibility-timeout", "60"], env)
        self.assertEqual(poll.returncode, 0, poll.stderr)
        self.assertEqual(len(lines_of(poll.stdout)), 1)
        fetch = self.tool("s3-fetch", [], env, input=poll.stdout)
        self.assertEqual(fetch.returncode, 0, fetch.stderr)
        out = lines_of(fetch.stdout)
        self.assertEqual([r["line"] for r in records(out)], body)
        acks = []
        for line in controls(out):
            if line["@c42"] == "end":
                line["delivered"] = line["records"]
            acks.append(json.dumps(line) + "\n")
        ack = self.tool("sqs-ack", [], dict(env, SQS_QUEUE_URL=q), input="".join(acks))
        self.assertEqual(ack.returncode, 0, ack.stderr)
        self.assertEqual([r["action"] for r in lines_of(ack.stdout)], ["deleted"])
        self.assertEqual(self.depth(q), (0, 0))
        for r in (poll, fetch, ack):
            self.assertEqual(r.stderr, b"")

    def whoami(self, env):
        r = self.tool("sqs-poll", ["--whoami"], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        line = r.stdout.decode()
        self.assertTrue(line.endswith("\n") and line.count("\n") == 1, line)
        m = re.match(r"^provider: (.*); arn: (\S+); account: (\d{12})$", line.strip())
        self.assertIsNotNone(m, line)
        return m.group(1), m.group(2), m.group(3)

    def assert_refused(self, env, *needles, status=4, tools=("sqs-poll",)):
        """Each tool fails before any work, in one line naming `needles`,
        with nothing received or deleted."""
        q, _ = self.announce()
        for tool in tools:
            args = {"sqs-poll": ["--queue-url", q, "--until-empty", "--wait", "0"],
                    "s3-fetch": [], "sqs-ack": []}[tool]
            r = self.tool(tool, args, dict(env, SQS_QUEUE_URL=q), input=b"")
            err = r.stderr.decode()
            self.assertEqual(r.returncode, status, err)
            self.assertEqual(r.stdout, b"")
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertTrue(err.startswith(tool + ": error: "), err)
            for needle in needles:
                self.assertIn(needle, err)
        self.assertEqual(self.depth(q), (1, 0))
        return err

    # --- (a) a web identity token file ---

    def test_a_web_identity_token_file_with_an_entra_access_token(self):
        env = self.web_identity_env(self.client_credentials_token())
        before = self.sts.calls()
        self.ship(env)
        # One exchange per tool run: the credentials are cached within it.
        self.assertEqual(self.sts.calls() - before, 3)
        provider, arn, account = self.whoami(env)
        self.assertEqual(provider, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)")
        self.assertRegex(arn, ROLE_SESSION)
        self.assertEqual(account, "123456789012")

    def test_a_web_identity_token_file_with_a_service_account_token(self):
        env = dict(self.web_identity_env(self.entra.federated_token()),
                   AWS_ROLE_SESSION_NAME="shipper-pod-1")
        self.ship(env)
        _, arn, _ = self.whoami(env)
        self.assertTrue(arn.endswith("assumed-role/c42-shipper/shipper-pod-1"), arn)

    def test_calls_are_checked_by_iam_as_the_role(self):
        # The role may receive but not read objects: s3-fetch is refused by
        # moto's IAM check of the role, while sqs-poll works.
        env = self.web_identity_env(self.entra.federated_token(), role=self.sqs_only_role)
        q, _ = self.announce()
        poll = self.tool("sqs-poll", ["--queue-url", q, "--until-empty", "--wait", "0"], env)
        self.assertEqual(poll.returncode, 0, poll.stderr)
        fetch = self.tool("s3-fetch", [], env, input=poll.stdout)
        self.assertEqual(fetch.returncode, 1, fetch.stderr)
        self.assertIn("AccessDenied", fetch.stderr.decode())
        _, arn, _ = self.whoami(env)
        self.assertIn(":assumed-role/c42-sqs-only/", arn)

    # --- (b) a shared config profile ---

    def test_a_profile_with_role_arn_and_web_identity_token_file(self):
        token = self.token_file(self.entra.federated_token())
        config = os.path.join(self.workdir, "config-" + uuid.uuid4().hex[:6])
        with open(config, "w") as f:
            f.write("[default]\nregion = eu-west-1\n\n"
                    "[profile c42]\n# the pod's projected token\n"
                    "role_arn = %s\nweb_identity_token_file = %s\n"
                    "role_session_name = from-profile\n" % (self.role, token))
        env = {"AWS_CONFIG_FILE": config, "AWS_PROFILE": "c42"}
        self.ship(env)
        provider, arn, _ = self.whoami(env)
        self.assertEqual(provider, "profile c42 (role_arn, web_identity_token_file)")
        self.assertTrue(arn.endswith("assumed-role/c42-shipper/from-profile"), arn)

    # --- (c) credential_process ---

    def credential_process(self, credentials, exit_status=0):
        stderr_secret = "STDERR-SECRET-" + uuid.uuid4().hex
        self.secrets.append(stderr_secret)
        script = os.path.join(self.workdir, "creds-%s.sh" % uuid.uuid4().hex[:6])
        output = json.dumps(dict(credentials, Version=1))
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho '%s' >&2\necho '%s'\nexit %d\n" % (
                stderr_secret, output, exit_status))
        os.chmod(script, 0o700)
        credentials_file = os.path.join(self.workdir, "credentials-" + uuid.uuid4().hex[:6])
        with open(credentials_file, "w") as f:
            f.write("[default]\ncredential_process = %s --profile c42\n" % script)
        return {"AWS_SHARED_CREDENTIALS_FILE": credentials_file}

    def minted(self):
        credentials = sts.mint(self.moto, self.role, "by-process")
        self.secrets += [credentials["SecretAccessKey"], credentials["SessionToken"]]
        return credentials

    def test_credential_process(self):
        env = self.credential_process(self.minted())
        self.ship(env)
        provider, arn, _ = self.whoami(env)
        self.assertEqual(provider, "profile default (credential_process)")
        self.assertTrue(arn.endswith("assumed-role/c42-shipper/by-process"), arn)

    def test_a_failing_credential_process_never_shows_its_stderr(self):
        env = self.credential_process(self.minted(), exit_status=1)
        self.assert_refused(env, "profile default (credential_process): the command of "
                                 "credential_process of profile default exited with status 1",
                            tools=("sqs-poll", "s3-fetch", "sqs-ack"))

    def test_whoami_with_credentials_moto_refuses_is_status_5(self):
        # GetCallerIdentity goes through the stand-in to moto unchanged, and
        # moto checks its signature.
        credentials = dict(self.minted(), SecretAccessKey="not-the-secret-" + uuid.uuid4().hex)
        self.secrets.append(credentials["SecretAccessKey"])
        r = self.tool("sqs-poll", ["--whoami"], self.credential_process(credentials))
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 5, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("sqs-poll: error: STS GetCallerIdentity failed: SignatureDoesNotMatch", err)

    # --- (d) container credentials ---

    def test_container_credentials_from_a_loopback_endpoint(self):
        credentials = self.minted()
        auth = "container-auth-" + uuid.uuid4().hex
        self.secrets.append(auth)

        def answer(handler):
            if handler.headers.get("Authorization") != auth:
                return 401, {"code": "Unauthorized", "message": "no such token"}
            return 200, {"AccessKeyId": credentials["AccessKeyId"],
                         "SecretAccessKey": credentials["SecretAccessKey"],
                         "Token": credentials["SessionToken"],
                         "Expiration": credentials["Expiration"]}

        endpoint = Endpoint(answer)
        try:
            env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url + "/v1/credentials",
                   "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": self.token_file(auth)}
            self.ship(env)
            provider, arn, _ = self.whoami(env)
            self.assertEqual(provider, "container (AWS_CONTAINER_CREDENTIALS_FULL_URI)")
            self.assertTrue(arn.endswith("assumed-role/c42-shipper/by-process"), arn)
            self.assertEqual(set(endpoint.requests), {("GET", "/v1/credentials")})

            env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = self.token_file("wrong-" + auth)
            self.assert_refused(env, "container (AWS_CONTAINER_CREDENTIALS_FULL_URI): ",
                                "Unauthorized: no such token (HTTP 401)",
                                "check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        finally:
            endpoint.stop()

    def test_a_container_uri_off_the_allowed_hosts_is_refused_before_any_connection(self):
        # Never contacted: the address is refused from the setting alone.
        env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://192.0.2.1/creds"}
        for args in (["--check-config"], ["--whoami"]):
            r = self.tool("sqs-poll", args + ["--queue-url", self.new_queue()], env)
            self.assertEqual(r.returncode, 4, r.stderr)
            self.assertIn("must be https, or http to a loopback address", r.stderr.decode())

    # --- (e) who am I ---

    def test_whoami_with_keys_in_the_environment(self):
        keys = {"AWS_ACCESS_KEY_ID": self.moto.shipper_keys[0],
                "AWS_SECRET_ACCESS_KEY": self.moto.shipper_keys[1]}
        self.secrets.append(self.moto.shipper_keys[1])
        provider, arn, _ = self.whoami(keys)
        self.assertEqual(provider, "environment (AWS_ACCESS_KEY_ID)")
        self.assertEqual(arn, "arn:aws:iam::123456789012:user/shipper")

    # --- (f) an Azure managed identity exchanged at STS ---

    def azure_env(self, identity, audience=sts.AZURE_AUDIENCE):
        self.secrets.append(self.entra.identity_header)
        return dict(identity, AWS_ROLE_ARN=self.role, C42_AZURE_TOKEN_AUDIENCE=audience)

    def test_azure_managed_identity_through_sts(self):
        # An Azure Function: App Service's identity endpoint, no AWS key.
        env = self.azure_env(self.entra.app_service_env())
        before = self.entra.stats()
        self.ship(env)
        provider, arn, _ = self.whoami(env)
        self.assertEqual(provider, "Azure identity (C42_AZURE_TOKEN_AUDIENCE)")
        self.assertRegex(arn, ROLE_SESSION)
        after = self.entra.stats()
        self.assertEqual(after.get("app-service ok", 0) - before.get("app-service ok", 0), 4)

    def test_azure_vm_managed_identity_through_sts(self):
        # A virtual machine: the managed identity of Azure's IMDS.
        provider, arn, _ = self.whoami(self.azure_env(self.entra.imds_env(user_assigned=True)))
        self.assertEqual(provider, "Azure identity (C42_AZURE_TOKEN_AUDIENCE)")
        self.assertRegex(arn, ROLE_SESSION)

    def test_azure_identity_refusals(self):
        wrong_audience = self.azure_env(self.entra.app_service_env(), "api://someone-else")
        self.assert_refused(wrong_audience,
                            "Azure identity (C42_AZURE_TOKEN_AUDIENCE): STS refused the Azure "
                            "token for C42_AZURE_TOKEN_AUDIENCE (api://someone-else/.default) "
                            "from managed identity",
                            "InvalidIdentityToken: Incorrect token audience",
                            tools=("sqs-poll", "s3-fetch", "sqs-ack"))
        wrong_header = dict(self.azure_env(self.entra.app_service_env()),
                            IDENTITY_HEADER="not-the-header")
        self.assert_refused(wrong_header, "Azure identity (C42_AZURE_TOKEN_AUDIENCE): no Azure "
                                          "token for api://c42-ship-aws/.default: ")

    # --- error paths ---

    def test_an_expired_token(self):
        env = self.web_identity_env(self.entra.federated_token(lifetime=-60))
        self.assert_refused(env, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): STS says the token "
                                 "in AWS_WEB_IDENTITY_TOKEN_FILE",
                            "ExpiredTokenException", "renew the token",
                            tools=("sqs-poll", "s3-fetch", "sqs-ack"))

    def test_a_token_for_another_audience(self):
        env = self.web_identity_env(self.client_credentials_token("api://someone-else"))
        self.assert_refused(env, "InvalidIdentityToken: Incorrect token audience",
                            "lists the token's audience")

    def test_a_token_from_an_untrusted_issuer(self):
        key = jwt_rs256.SigningKey()
        now = int(time.time())
        token = key.sign({"iss": "https://issuer.invalid/untrusted", "sub": "someone",
                          "aud": sts.AZURE_AUDIENCE, "iat": now, "exp": now + 600})
        env = self.web_identity_env(token)
        self.assert_refused(env, "No OpenIDConnect provider found in your account for "
                                 "https://issuer.invalid/untrusted",
                            "trust the token's issuer as an IAM OIDC provider")

    def test_a_subject_the_role_does_not_trust(self):
        env = self.web_identity_env(self.entra.federated_token(subject=UNTRUSTED_SUBJECT))
        self.assert_refused(env, "STS denied assuming %s" % self.role,
                            "AccessDenied: Not authorized to perform "
                            "sts:AssumeRoleWithWebIdentity (HTTP 403)",
                            "trust policy must allow")

    def test_missing_variables_are_named_without_calling_sts(self):
        token = self.token_file(self.entra.federated_token())
        cases = [
            ({"AWS_WEB_IDENTITY_TOKEN_FILE": token},
             "web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"),
            ({"C42_AZURE_TOKEN_AUDIENCE": sts.AZURE_AUDIENCE},
             "Azure identity: C42_AZURE_TOKEN_AUDIENCE is set but AWS_ROLE_ARN is not"),
            ({"AWS_ROLE_ARN": self.role},
             "neither AWS_WEB_IDENTITY_TOKEN_FILE nor C42_AZURE_TOKEN_AUDIENCE is"),
            ({"AWS_ROLE_ARN": self.role, "AWS_WEB_IDENTITY_TOKEN_FILE": token + ".missing"},
             "cannot read AWS_WEB_IDENTITY_TOKEN_FILE"),
            ({"AWS_PROFILE": "nowhere"}, "profile nowhere: AWS_PROFILE names a profile"),
            ({}, "no AWS credentials are configured (environment: AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY are not set; web identity: "),
        ]
        before = self.sts.calls()
        for env, needle in cases:
            with self.subTest(env=env):
                self.assert_refused(env, needle, tools=("sqs-poll", "s3-fetch", "sqs-ack"))
                r = self.tool("s3-fetch", ["--check-config"], env)
                self.assertEqual(r.returncode, 4, r.stderr)
                self.assertIn(needle, r.stderr.decode())
        self.assertEqual(self.sts.calls(), before)

    def test_check_config_contacts_no_service(self):
        env = self.web_identity_env(self.entra.federated_token())
        before = self.sts.stats()
        for tool in ("sqs-poll", "s3-fetch", "sqs-ack"):
            r = self.tool(tool, ["--check-config"], dict(env, SQS_QUEUE_URL="q"))
            self.assertEqual((r.returncode, r.stdout, r.stderr), (0, b"", b""), tool)
        self.assertEqual(self.sts.stats(), before)

    def test_instance_metadata_that_does_not_answer_fails_fast(self):
        silent = Endpoint(silent=True)
        try:
            env = {"AWS_EC2_METADATA_DISABLED": "",
                   "AWS_EC2_METADATA_SERVICE_ENDPOINT": silent.url}
            started = time.monotonic()
            self.assert_refused(env, "instance metadata (AWS_EC2_METADATA_SERVICE_ENDPOINT): %s did "
                                     "not answer" % silent.url,
                                "set AWS_EC2_METADATA_DISABLED=true")
            self.assertLess(time.monotonic() - started, 10)
        finally:
            silent.stop()


if __name__ == "__main__":
    unittest.main()
