"""The Microsoft Entra stand-in (tests/standins/entra_standin.py) as a test
peer: started on 127.0.0.1, stopped by its PID, with the environment each
kind of Azure identity gives a process."""

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

from peers import SOURCE_DIR, read_text, stop_process

STANDIN = os.path.join(SOURCE_DIR, "tests", "standins", "entra_standin.py")


class Entra:
    """One tenant with a system-assigned identity, `user_assigned` client ids,
    a confidential client and a workload-identity client."""

    def __init__(self, workdir, token_lifetime=3600):
        self.tenant = str(uuid.uuid4())
        self.identity_header = uuid.uuid4().hex
        self.user_assigned = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.client_secret = "s3cr3t~" + uuid.uuid4().hex
        self.workload_client_id = str(uuid.uuid4())
        self.workload_subject = "system:serviceaccount:c42:shipper"
        self.jwks_file = os.path.join(workdir, "entra-jwks.json")
        port_file = os.path.join(workdir, "entra-port")
        self.log = open(os.path.join(workdir, "entra-standin.log"), "wb")
        cmd = [sys.executable, STANDIN, "--port-file", port_file, "--tenant", self.tenant,
               "--token-lifetime", str(token_lifetime),
               "--identity-header", self.identity_header,
               "--user-assigned", self.user_assigned,
               "--client", "%s:%s" % (self.client_id, self.client_secret),
               "--client", "%s:" % self.workload_client_id,
               "--federated", "%s:%s" % (self.workload_client_id, self.workload_subject),
               "--jwks-file", self.jwks_file]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not read_text(port_file).strip():
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("Entra stand-in did not start")
            time.sleep(0.05)
        self.base = "http://127.0.0.1:%d" % int(read_text(port_file).strip())
        self.issuer = "%s/%s/v2.0" % (self.base, self.tenant)

    # The environment each kind of identity gives a process.
    def app_service_env(self, user_assigned=False):
        env = {"IDENTITY_ENDPOINT": self.base + "/msi/token",
               "IDENTITY_HEADER": self.identity_header}
        if user_assigned:
            env["AZURE_CLIENT_ID"] = self.user_assigned
        return env

    def imds_env(self, user_assigned=False):
        # azure-identity's own override of the IMDS host, for tests.
        env = {"AZURE_POD_IDENTITY_AUTHORITY_HOST": self.base}
        if user_assigned:
            env["AZURE_CLIENT_ID"] = self.user_assigned
        return env

    def client_secret_env(self):
        return {"AZURE_AUTHORITY_HOST": self.base, "AZURE_TENANT_ID": self.tenant,
                "AZURE_CLIENT_ID": self.client_id, "AZURE_CLIENT_SECRET": self.client_secret}

    def workload_env(self, token_file):
        return {"AZURE_AUTHORITY_HOST": self.base, "AZURE_TENANT_ID": self.tenant,
                "AZURE_CLIENT_ID": self.workload_client_id,
                "AZURE_FEDERATED_TOKEN_FILE": token_file}

    def federated_token(self, lifetime=3600, subject=None):
        """A service-account token as Kubernetes projects it into a pod."""
        data = urllib.parse.urlencode({"sub": subject or self.workload_subject,
                                       "lifetime": str(lifetime)}).encode()
        req = urllib.request.Request(self.base + "/_control/federated-token", data=data,
                                     headers={"Content-Type":
                                              "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())["token"]

    def jwks(self):
        with open(self.jwks_file) as f:
            return json.load(f)

    def stats(self):
        with urllib.request.urlopen(self.base + "/_control/stats", timeout=10) as resp:
            return json.loads(resp.read())

    def stop(self):
        stop_process(self.proc)
        self.log.close()
