#!/usr/bin/env python3
"""Strict stand-in for the Microsoft Entra token endpoints c42-ship uses.

One process plays every source of Entra tokens, on 127.0.0.1:
  GET  /msi/token                        App Service / Functions managed
                                         identity (IDENTITY_ENDPOINT with
                                         IDENTITY_HEADER, api-version 2019-08-01)
  GET  /metadata/identity/oauth2/token   Azure IMDS managed identity
                                         (Metadata: true, api-version 2018-02-01)
  POST /<tenant>/oauth2/v2.0/token       client credentials: a client secret
                                         or a federated assertion (workload
                                         identity)
  GET  /<tenant>/v2.0/.well-known/openid-configuration, /<tenant>/discovery/v2.0/keys
                                         OIDC discovery and the signing keys
and, for workload identity, a Kubernetes-like OIDC issuer of its own:
  GET  /federation/.well-known/openid-configuration, /federation/keys
  POST /_control/federated-token         mints a service-account token
Access tokens are RS256 JWTs (iss, aud, sub, oid, tid, azp, iat, nbf, exp).
/_control/stats counts requests by endpoint and outcome.

Requests are checked the way the Microsoft documentation describes them
(see tests/standins/README.md): wrong api-version, missing headers, unknown
clients or identities and bad assertions get the documented kind of error
(400 or 401 with an OAuth error body), so a client that is lenient where
the service is not fails here first. Nothing secret is ever logged.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jwt_rs256  # noqa: E402

APP_SERVICE_API = "2019-08-01"
IMDS_API = "2018-02-01"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class Directory:
    """What the stand-in knows: the tenant, its identities and clients."""

    def __init__(self, args):
        self.tenant = args.tenant
        self.lifetime = args.token_lifetime
        self.identity_header = args.identity_header
        # Managed identities by client id; None stands for the system-assigned one.
        self.system_identity = str(uuid.uuid4())
        self.user_identities = set(args.user_assigned or [])
        self.clients = {}  # client id -> secret (None: federated only)
        for spec in args.client or []:
            client_id, _, secret = spec.partition(":")
            self.clients[client_id] = secret or None
        self.federated = {}  # client id -> subject it trusts
        for spec in args.federated or []:
            client_id, _, subject = spec.partition(":")
            self.federated[client_id] = subject
        self.key = jwt_rs256.SigningKey()
        self.federation_key = jwt_rs256.SigningKey()
        self.base = None  # http://127.0.0.1:<port>, set once bound
        self.lock = threading.Lock()
        self.stats = {}

    @property
    def issuer(self):
        return "%s/%s/v2.0" % (self.base, self.tenant)

    @property
    def federation_issuer(self):
        return "%s/federation" % self.base

    def count(self, what):
        with self.lock:
            self.stats[what] = self.stats.get(what, 0) + 1

    def access_token(self, audience, subject, client_id):
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": audience, "sub": subject, "oid": subject,
                  "tid": self.tenant, "azp": client_id, "appid": client_id, "ver": "2.0",
                  "iat": now, "nbf": now, "exp": now + self.lifetime}
        return self.key.sign(claims), now + self.lifetime


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "entra-standin"

    @property
    def directory(self):
        return self.server.directory

    def log_message(self, fmt, *args):
        pass  # one line per request is written by reply(), without secrets

    def reply(self, status, body, what):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        outcome = "ok" if status == 200 else body.get("error", "error")
        self.directory.count("%s %s" % (what, outcome))
        sys.stderr.write("entra_standin: %s %s -> %d %s\n" % (
            self.command, urlsplit(self.path).path, status, outcome))

    def oauth_error(self, status, error, description, what):
        return self.reply(status, {"error": error, "error_description": description,
                                   "error_codes": [], "timestamp": time.strftime(
                                       "%Y-%m-%d %H:%M:%SZ", time.gmtime())}, what)

    def query(self):
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query,
                                             keep_blank_values=True).items()}

    def read_form(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if not (self.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded"):
            return None
        return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}

    # --- managed identity ------------------------------------------------

    def managed_identity(self, q, what):
        """The token for the identity a managed-identity request names."""
        resource = q.get("resource", "")
        if not resource:
            return self.oauth_error(400, "invalid_request", "resource is required", what)
        client_id = q.get("client_id")
        if client_id is None:
            subject, client_id = self.directory.system_identity, self.directory.system_identity
        elif client_id in self.directory.user_identities:
            subject = client_id
        else:
            return self.oauth_error(400, "invalid_request",
                                    "Identity not found (no user-assigned identity with "
                                    "this client_id)", what)
        token, expires_on = self.directory.access_token(resource, subject, client_id)
        return token, expires_on, resource, client_id

    def app_service(self):
        what = "app-service"
        q = self.query()
        if self.headers.get("X-IDENTITY-HEADER") != self.directory.identity_header:
            return self.oauth_error(401, "unauthorized", "X-IDENTITY-HEADER missing or wrong",
                                    what)
        if q.get("api-version") != APP_SERVICE_API:
            return self.oauth_error(400, "invalid_request",
                                    "api-version must be %s" % APP_SERVICE_API, what)
        got = self.managed_identity(q, what)
        if got is None:
            return
        token, expires_on, resource, client_id = got
        self.reply(200, {"access_token": token, "expires_on": str(expires_on),
                         "resource": resource, "token_type": "Bearer",
                         "client_id": client_id}, what)

    def imds(self):
        what = "imds"
        q = self.query()
        if self.headers.get("Metadata") != "true":
            return self.oauth_error(400, "invalid_request",
                                    "Required metadata header not specified", what)
        if q.get("api-version") != IMDS_API:
            return self.oauth_error(400, "invalid_request",
                                    "api-version must be %s" % IMDS_API, what)
        got = self.managed_identity(q, what)
        if got is None:
            return
        token, expires_on, resource, _ = got
        now = int(time.time())
        self.reply(200, {"access_token": token, "refresh_token": "",
                         "expires_in": str(expires_on - now), "expires_on": str(expires_on),
                         "not_before": str(now), "resource": resource,
                         "token_type": "Bearer"}, what)

    # --- client credentials ----------------------------------------------

    def client_credentials(self, tenant):
        form = self.read_form()
        if form is None:
            return self.oauth_error(400, "invalid_request",
                                    "body must be application/x-www-form-urlencoded", "client")
        what = "client-assertion" if "client_assertion" in form else "client-secret"
        if tenant != self.directory.tenant:
            return self.oauth_error(400, "invalid_request", "AADSTS90002: tenant not found", what)
        if form.get("grant_type") != "client_credentials":
            return self.oauth_error(400, "unsupported_grant_type",
                                    "grant_type must be client_credentials", what)
        scope = form.get("scope", "")
        if not scope.endswith("/.default") or " " in scope:
            return self.oauth_error(400, "invalid_scope",
                                    "AADSTS1002012: scope must be one resource's /.default",
                                    what)
        client_id = form.get("client_id", "")
        if client_id not in self.directory.clients:
            return self.oauth_error(400, "unauthorized_client",
                                    "AADSTS700016: application not found in the directory",
                                    what)
        if what == "client-secret":
            secret = self.directory.clients[client_id]
            if secret is None or form.get("client_secret") != secret:
                return self.oauth_error(401, "invalid_client",
                                        "AADSTS7000215: invalid client secret", what)
        else:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return self.oauth_error(400, "invalid_request",
                                        "client_assertion_type must be %s" % ASSERTION_TYPE,
                                        what)
            try:
                claims = jwt_rs256.verify(
                    form["client_assertion"], {"keys": [self.directory.federation_key.jwk()]},
                    self.directory.federation_issuer, [FEDERATED_AUDIENCE])
            except jwt_rs256.TokenError as e:
                return self.oauth_error(401, "invalid_client",
                                        "AADSTS700024: client assertion refused: %s" % e, what)
            if self.directory.federated.get(client_id) != claims.get("sub"):
                return self.oauth_error(401, "invalid_client",
                                        "AADSTS70021: no federated credential matches", what)
        token, _ = self.directory.access_token(scope[:-len("/.default")], client_id, client_id)
        self.reply(200, {"token_type": "Bearer", "expires_in": self.directory.lifetime,
                         "ext_expires_in": self.directory.lifetime, "access_token": token},
                   what)

    # --- discovery and control ---------------------------------------------

    def discovery(self, issuer, jwks_uri, what):
        self.reply(200, {"issuer": issuer, "jwks_uri": jwks_uri,
                         "token_endpoint": "%s/%s/oauth2/v2.0/token" % (
                             self.directory.base, self.directory.tenant),
                         "id_token_signing_alg_values_supported": ["RS256"]}, what)

    def federated_token(self):
        form = self.read_form() or {}
        now = int(time.time())
        lifetime = int(form.get("lifetime", "3600"))
        claims = {"iss": self.directory.federation_issuer, "aud": FEDERATED_AUDIENCE,
                  "sub": form.get("sub", "system:serviceaccount:c42:shipper"),
                  "iat": now, "nbf": now, "exp": now + lifetime}
        self.reply(200, {"token": self.directory.federation_key.sign(claims)}, "federated-token")

    def do_GET(self):
        path = urlsplit(self.path).path
        d = self.directory
        if path == "/msi/token":
            return self.app_service()
        if path == "/metadata/identity/oauth2/token":
            return self.imds()
        if path == "/%s/v2.0/.well-known/openid-configuration" % d.tenant:
            return self.discovery(d.issuer, "%s/%s/discovery/v2.0/keys" % (d.base, d.tenant),
                                  "discovery")
        if path == "/%s/discovery/v2.0/keys" % d.tenant:
            return self.reply(200, {"keys": [d.key.jwk()]}, "keys")
        if path == "/federation/.well-known/openid-configuration":
            return self.discovery(d.federation_issuer, d.federation_issuer + "/keys",
                                  "federation-discovery")
        if path == "/federation/keys":
            return self.reply(200, {"keys": [d.federation_key.jwk()]}, "federation-keys")
        if path == "/_control/stats":
            with d.lock:
                stats = dict(d.stats)
            return self.reply(200, stats, "stats")
        self.oauth_error(404, "not_found", "no such endpoint", "unknown")

    def do_POST(self):
        path = urlsplit(self.path).path
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return self.client_credentials(parts[0])
        if path == "/_control/federated-token":
            return self.federated_token()
        self.oauth_error(404, "not_found", "no such endpoint", "unknown")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--tenant", default=str(uuid.uuid4()))
    parser.add_argument("--token-lifetime", type=int, default=3600,
                        help="seconds an access token is valid")
    parser.add_argument("--identity-header", default=uuid.uuid4().hex,
                        help="the IDENTITY_HEADER secret App Service would set")
    parser.add_argument("--user-assigned", action="append",
                        help="client id of a user-assigned managed identity")
    parser.add_argument("--client", action="append",
                        help="CLIENT_ID:SECRET of an app registration (SECRET empty: "
                             "federated only)")
    parser.add_argument("--federated", action="append",
                        help="CLIENT_ID:SUBJECT a federated credential trusts")
    parser.add_argument("--jwks-file", help="write the access-token signing keys here")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "::1"):
        parser.error("only loopback addresses")

    directory = Directory(args)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.directory = directory
    directory.base = "http://%s:%d" % (args.host, server.server_address[1])
    if args.jwks_file:
        with open(args.jwks_file + ".tmp", "w") as f:
            json.dump({"issuer": directory.issuer, "keys": [directory.key.jwk()]}, f)
        os.replace(args.jwks_file + ".tmp", args.jwks_file)
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(args.port_file + ".tmp", args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
