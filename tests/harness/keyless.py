"""The deployment c42-ship exists for, on 127.0.0.1: a process with an
Azure managed identity (App Service's identity endpoint, played by the
Entra stand-in) that gets AWS credentials by exchanging its token at STS
(the STS stand-in, minting real moto credentials for a least-privilege
role) and posts through the Logs Ingestion API (the Log Analytics stand-in,
taking the identity's tokens). No key is stored anywhere."""

import os
import shutil

import sts
from entra import Entra
from peers import REGION, LogAnalytics, Moto


class KeylessWorld:
    def __init__(self, workdir, la_rules=None):
        self.workdir = workdir
        self.home = os.path.join(workdir, "home")
        os.makedirs(self.home, exist_ok=True)
        self.moto = self.entra = self.sts = self.la = None
        try:
            self.moto = Moto(os.path.join(workdir, "moto.log"))
            self.entra = Entra(workdir)
            self.role = sts.create_role(self.moto, "c42-shipper")
            self.sts = sts.Sts(workdir, self.moto, sts.entra_trust(
                self.entra, workdir, {self.role: [sts.trusts_tenant(self.entra)]}))
            self.la = LogAnalytics(workdir, rules=la_rules, entra=self.entra)
        except Exception:
            self.stop()
            raise

    def env(self, queue_url):
        """What the Azure Function's configuration and platform give
        c42-ship: no AWS key, no Log Analytics key."""
        env = {
            "SQS_QUEUE_URL": queue_url,
            "AWS_REGION": REGION,
            "AWS_ROLE_ARN": self.role,
            "C42_AZURE_TOKEN_AUDIENCE": sts.AZURE_AUDIENCE,
            # The stand-ins' addresses, where Azure and AWS have theirs.
            "AWS_ENDPOINT_URL": self.moto.endpoint,
            "AWS_ENDPOINT_URL_STS": self.sts.endpoint,
            # No instance metadata and no ~/.aws of the machine running this.
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": self.home,
        }
        env.update(self.entra.app_service_env())
        env.update(self.la.ingestion_env())
        return env

    def secrets(self):
        """Everything that must never appear in any output."""
        found = [self.entra.identity_header, self.entra.client_secret,
                 self.moto.admin_keys[1], self.moto.shipper_keys[1]]
        for c in self.sts.issued():
            found += [c["SecretAccessKey"], c["SessionToken"]]
        return found

    def stop(self):
        for peer in (self.la, self.sts, self.entra, self.moto):
            if peer:
                peer.stop()
        shutil.rmtree(self.home, ignore_errors=True)
