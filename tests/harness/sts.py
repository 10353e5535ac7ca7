"""The STS stand-in (tests/standins/sts_standin.py) as a test peer in front
of a running moto_server: started on 127.0.0.1, stopped by its PID, with
roles created in moto and the trust the stand-in checks web identity
tokens against. Also mints role credentials directly (moto's AssumeRole as
the admin), for the sources that hand out ready credentials:
credential_process, a container endpoint."""

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

from peers import SHIPPER_POLICY, SOURCE_DIR, read_text, stop_process

STANDIN = os.path.join(SOURCE_DIR, "tests", "standins", "sts_standin.py")

# The audience a role trusts Azure identities for: the application ID URI
# C42_AZURE_TOKEN_AUDIENCE names.
AZURE_AUDIENCE = "api://c42-ship-aws"
# What Kubernetes-like service-account tokens of the Entra stand-in carry.
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


def create_role(moto, name, policy=None):
    """A role in moto with `policy` (default: the shipper's least
    privilege); returns its ARN. Its trust policy lets moto's admin call
    AssumeRole, which is how the stand-in mints the role's credentials; the
    web identity trust is the stand-in's to check (see Sts)."""
    iam = moto.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="ship",
                        PolicyDocument=json.dumps(policy or SHIPPER_POLICY))
    return arn


def mint(moto, role_arn, session="minted", seconds=3600):
    """Real moto credentials for the role: {AccessKeyId, SecretAccessKey,
    SessionToken, Expiration (ISO 8601)}."""
    c = moto.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session,
                                       DurationSeconds=seconds)["Credentials"]
    return {"AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
            "SessionToken": c["SessionToken"],
            "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}


class Sts:
    """The stand-in for `moto`, trusting what `trust` says (see the
    stand-in's docstring for its shape); set_trust changes it while it
    runs."""

    def __init__(self, workdir, moto, trust):
        self.trust_file = os.path.join(workdir, "sts-trust.json")
        self.set_trust(trust)
        keys_file = os.path.join(workdir, "sts-admin-keys.json")
        fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"AccessKeyId": moto.admin_keys[0],
                       "SecretAccessKey": moto.admin_keys[1]}, f)
        port_file = os.path.join(workdir, "sts-port")
        self.log = open(os.path.join(workdir, "sts-standin.log"), "wb")
        self.proc = subprocess.Popen(
            [sys.executable, STANDIN, "--port-file", port_file, "--moto-endpoint", moto.endpoint,
             "--admin-keys-file", keys_file, "--trust-file", self.trust_file],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not read_text(port_file).strip():
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("STS stand-in did not start")
            time.sleep(0.05)
        self.endpoint = "http://127.0.0.1:%d" % int(read_text(port_file).strip())

    def set_trust(self, trust):
        with open(self.trust_file + ".tmp", "w") as f:
            json.dump(trust, f)
        os.replace(self.trust_file + ".tmp", self.trust_file)

    def _control(self, what):
        with urllib.request.urlopen(self.endpoint + "/_control/" + what, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self):
        return self._control("stats")

    def calls(self):
        """How many AssumeRoleWithWebIdentity requests it has answered."""
        return sum(n for k, n in self.stats().items()
                   if k.startswith("AssumeRoleWithWebIdentity"))

    def issued(self):
        """Every credential it handed out (the secrets tests look for)."""
        return self._control("issued")

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def entra_trust(entra, workdir, roles):
    """Trust for the Entra stand-in's two issuers: its tenant (access
    tokens for AZURE_AUDIENCE) and its Kubernetes-like federation issuer
    (service-account tokens). `roles` maps a role ARN to the trust
    statements it has, built with the two helpers below."""
    federation_jwks = os.path.join(workdir, "federation-jwks-%s.json" % uuid.uuid4().hex[:6])
    with urllib.request.urlopen(entra.base + "/federation/keys", timeout=10) as resp:
        with open(federation_jwks, "wb") as f:
            f.write(resp.read())
    return {
        "providers": [
            {"issuer": entra.issuer, "jwks_file": entra.jwks_file,
             "client_ids": [AZURE_AUDIENCE]},
            {"issuer": federation_issuer(entra), "jwks_file": federation_jwks,
             "client_ids": [FEDERATED_AUDIENCE]},
        ],
        "roles": [{"arn": arn, "trust": statements} for arn, statements in roles.items()],
    }


def federation_issuer(entra):
    return entra.base + "/federation"


def trusts_tenant(entra, subjects=None):
    statement = {"issuer": entra.issuer, "audiences": [AZURE_AUDIENCE]}
    if subjects is not None:
        statement["subjects"] = subjects
    return statement


def trusts_service_account(entra, subject):
    return {"issuer": federation_issuer(entra), "audiences": [FEDERATED_AUDIENCE],
            "subjects": [subject]}
