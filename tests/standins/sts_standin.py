#!/usr/bin/env python3
"""Strict stand-in for AWS STS in front of moto_server, on 127.0.0.1.

moto checks a signature on every call once its IAM checks are on, so it
cannot take AssumeRoleWithWebIdentity, which is unsigned by design. This
stand-in answers that call itself, as the STS API reference documents it
(Query protocol, Version 2011-06-15, XML replies and errors), and forwards
every other request to moto unchanged, so moto checks their signatures
(GetCallerIdentity signed with the credentials this stand-in handed out).

AssumeRoleWithWebIdentity is checked the way STS checks it:
  - the parameters (RoleArn, RoleSessionName, WebIdentityToken,
    DurationSeconds) against their documented constraints: ValidationError;
  - the token: a compact RS256 JWT whose issuer is a configured OIDC
    provider, signed by a key of that provider's JWKS, for an audience the
    provider lists as a client ID: InvalidIdentityToken; not expired:
    ExpiredTokenException;
  - the role's trust: the role is configured and one of its statements
    allows the token's issuer, audience and (if it names any) subject:
    AccessDenied (HTTP 403).
Then it mints REAL moto credentials for the role with moto's own
AssumeRole, called signed as moto's admin, so every later S3, SQS and STS
call is authenticated and IAM-checked by moto as the role.

Stricter than STS on purpose (codes starting with Standin): a signed
AssumeRoleWithWebIdentity (the caller has no credentials yet; signing one
means the client has its providers mixed up) and a POST whose body is not
application/x-www-form-urlencoded.

Configuration: --trust-file, JSON re-read on every request so a test can
change it while the stand-in runs:
  {"providers": [{"issuer": URL, "jwks_file": PATH, "client_ids": [AUD, ...]}],
   "roles": [{"arn": ROLE_ARN,
              "trust": [{"issuer": URL, "audiences": [AUD, ...],
                         "subjects": [SUB, ...]}]}]}   (subjects optional)
--admin-keys-file holds moto's admin key pair as JSON {"AccessKeyId",
"SecretAccessKey"} (a file, because argv is visible in ps).

Control endpoints (tests only): GET /_control/stats counts requests by
action and outcome; GET /_control/issued lists the credentials handed out,
so tests can prove none of them ever shows in a tool's output. stderr gets
one line per request, never a token, key or signature.
"""

import argparse
import http.client
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jwt_rs256  # noqa: E402

VERSION = "2011-06-15"
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
FORM = "application/x-www-form-urlencoded"
ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade",
              "proxy-connection", "trailer"}


class StsError(Exception):
    def __init__(self, status, code, message, sender=True):
        super().__init__(message)
        self.status, self.code, self.message, self.sender = status, code, message, sender


def validation(field, constraint, value="null"):
    return StsError(400, "ValidationError",
                    "1 validation error detected: Value %s at '%s' failed to satisfy "
                    "constraint: %s" % (value, field, constraint))


class Stand:
    """What the stand-in knows: moto, its admin keys, the trust file."""

    def __init__(self, args):
        self.trust_file = args.trust_file
        self.moto = urlsplit(args.moto_endpoint)
        with open(args.admin_keys_file) as f:
            keys = json.load(f)
        import boto3
        from botocore.config import Config

        self.sts = boto3.client(
            "sts", endpoint_url=args.moto_endpoint, region_name=args.region,
            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
            config=Config(retries={"max_attempts": 1}))
        self.lock = threading.Lock()
        self.stats = {}
        self.issued = []

    def count(self, what):
        with self.lock:
            self.stats[what] = self.stats.get(what, 0) + 1

    def trust(self):
        with open(self.trust_file) as f:
            return json.load(f)

    def verify(self, token):
        """The token's claims, or an StsError as STS words it."""
        parts = token.split(".")
        if len(parts) != 3:
            raise StsError(400, "InvalidIdentityToken", "The ID Token provided is not a valid "
                           "JWT. (You may see this error if you sent an Access Token)")
        try:
            unverified = json.loads(jwt_rs256.unb64url(parts[1]))
        except (ValueError, UnicodeDecodeError):
            raise StsError(400, "InvalidIdentityToken", "The ID Token provided is not a valid JWT.")
        issuer = unverified.get("iss") if isinstance(unverified, dict) else None
        provider = next((p for p in self.trust().get("providers", [])
                         if p["issuer"] == issuer), None)
        if provider is None:
            raise StsError(400, "InvalidIdentityToken",
                           "No OpenIDConnect provider found in your account for %s" % issuer)
        with open(provider["jwks_file"]) as f:
            jwks = json.load(f)
        try:
            return jwt_rs256.verify(token, jwks, issuer, provider.get("client_ids", []))
        except jwt_rs256.TokenError as e:
            reason = str(e)
            if reason == "token expired":
                raise StsError(400, "ExpiredTokenException",
                               "Token expired: current date/time %d must be before the "
                               "expiration date/time %s" % (time.time(), unverified.get("exp")))
            if reason.startswith("wrong audience"):
                raise StsError(400, "InvalidIdentityToken", "Incorrect token audience")
            raise StsError(400, "InvalidIdentityToken",
                           "The web identity token that was passed could not be validated by "
                           "AWS. Get a new identity token from the identity provider and then "
                           "retry the request.")

    def trusted(self, role_arn, claims):
        for role in self.trust().get("roles", []):
            if role["arn"] != role_arn:
                continue
            for statement in role.get("trust", []):
                if (statement["issuer"] == claims.get("iss")
                        and claims.get("aud") in statement.get("audiences", [])
                        and ("subjects" not in statement
                             or claims.get("sub") in statement["subjects"])):
                    return True
        return False

    def assume(self, params):
        role_arn = params.get("RoleArn")
        session = params.get("RoleSessionName")
        token = params.get("WebIdentityToken")
        duration = params.get("DurationSeconds")
        if role_arn is None:
            raise validation("roleArn", "Member must not be null")
        if not (20 <= len(role_arn) <= 2048) or not ROLE_ARN.match(role_arn):
            raise validation("roleArn", "Member must satisfy the IAM role ARN pattern", role_arn)
        if session is None:
            raise validation("roleSessionName", "Member must not be null")
        if not SESSION_NAME.match(session):
            raise validation("roleSessionName",
                             "Member must satisfy regular expression pattern: [\\w+=,.@-]*, "
                             "length 2 to 64", session)
        if token is None:
            raise validation("webIdentityToken", "Member must not be null")
        if not (4 <= len(token) <= 20000):
            raise validation("webIdentityToken", "Member must have length between 4 and 20000",
                             "(the token)")
        seconds = 3600
        if duration is not None:
            if not duration.isdigit() or not (900 <= int(duration) <= 43200):
                raise validation("durationSeconds",
                                 "Member must have value between 900 and 43200", duration)
            seconds = int(duration)
        claims = self.verify(token)
        if not self.trusted(role_arn, claims):
            raise StsError(403, "AccessDenied",
                           "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        from botocore.exceptions import ClientError

        try:
            with self.lock:
                minted = self.sts.assume_role(RoleArn=role_arn, RoleSessionName=session,
                                              DurationSeconds=seconds)
        except ClientError as e:
            raise StsError(500, "InternalFailure",
                           "moto refused AssumeRole for %s: %s" % (
                               role_arn, e.response["Error"].get("Code")), sender=False)
        c = minted["Credentials"]
        with self.lock:
            self.issued.append({"AccessKeyId": c["AccessKeyId"],
                                "SecretAccessKey": c["SecretAccessKey"],
                                "SessionToken": c["SessionToken"]})
        expiration = c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")
        user = minted["AssumedRoleUser"]
        return ("<AssumeRoleWithWebIdentityResponse xmlns=\"%s\">"
                "<AssumeRoleWithWebIdentityResult>"
                "<SubjectFromWebIdentityToken>%s</SubjectFromWebIdentityToken>"
                "<Audience>%s</Audience>"
                "<AssumedRoleUser><Arn>%s</Arn><AssumedRoleId>%s</AssumedRoleId></AssumedRoleUser>"
                "<Credentials><SessionToken>%s</SessionToken>"
                "<SecretAccessKey>%s</SecretAccessKey><Expiration>%s</Expiration>"
                "<AccessKeyId>%s</AccessKeyId></Credentials>"
                "<Provider>%s</Provider>"
                "</AssumeRoleWithWebIdentityResult>"
                "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
                "</AssumeRoleWithWebIdentityResponse>") % (
            NAMESPACE, escape(str(claims.get("sub", ""))), escape(str(claims.get("aud", ""))),
            escape(user["Arn"]), escape(user["AssumedRoleId"]), escape(c["SessionToken"]),
            escape(c["SecretAccessKey"]), expiration, escape(c["AccessKeyId"]),
            escape(str(claims.get("iss", ""))), uuid.uuid4())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sts-standin"

    @property
    def stand(self):
        return self.server.stand

    def log_message(self, fmt, *args):
        pass  # one line per request is written below, without secrets

    def note(self, what, status, outcome):
        self.stand.count("%s %s" % (what, outcome))
        sys.stderr.write("sts_standin: %s %s -> %d %s\n" % (self.command, what, status, outcome))

    def send(self, status, body, content_type="text/xml", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, e, action):
        body = ("<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>%s</Code>"
                "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>") % (
            NAMESPACE, "Sender" if e.sender else "Receiver", e.code, escape(e.message),
            uuid.uuid4())
        self.send(e.status, body)
        self.note(action, e.status, e.code)

    def handle_request(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path)
        if path.path.startswith("/_control/"):
            return self.control(path.path)
        if self.command == "POST":
            media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media != FORM:
                return self.error(StsError(400, "StandinUnsupportedContentType",
                                           "a Query API POST body must be %s" % FORM), "?")
            params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            params = parse_qs(path.query, keep_blank_values=True)
        params = {k: v[0] for k, v in params.items()}
        action = params.get("Action", "?")
        if action != "AssumeRoleWithWebIdentity":
            return self.forward(body, action)
        try:
            if params.get("Version") != VERSION:
                raise StsError(400, "InvalidAction",
                               "Could not find operation AssumeRoleWithWebIdentity for version %s"
                               % params.get("Version", "(none)"))
            if self.headers.get("Authorization") or "X-Amz-Signature" in params:
                raise StsError(400, "StandinSignedWebIdentityCall",
                               "AssumeRoleWithWebIdentity is called unsigned: the web identity "
                               "token is the proof, and the caller has no credentials yet")
            reply = self.stand.assume(params)
        except StsError as e:
            return self.error(e, action)
        self.send(200, reply)
        self.note(action, 200, "ok")

    def forward(self, body, action):
        """The request as it came, to moto, and moto's answer as it came."""
        moto = self.stand.moto
        connection = http.client.HTTPConnection(moto.hostname, moto.port, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            passed = [(k, v) for k, v in answer.getheaders()
                      if k.lower() not in HOP_BY_HOP | {"content-length", "content-type",
                                                        "x-amzn-requestid", "server", "date"}]
            self.send(answer.status, data, answer.getheader("Content-Type", "text/xml"), passed)
            self.note("forward " + action, answer.status, "moto")
        finally:
            connection.close()

    def control(self, path):
        with self.stand.lock:
            if path == "/_control/stats":
                data = dict(self.stand.stats)
            elif path == "/_control/issued":
                data = list(self.stand.issued)
            else:
                data = None
        if data is None:
            return self.send(404, json.dumps({"error": "no such control"}), "application/json")
        self.send(200, json.dumps(data), "application/json")

    do_GET = handle_request
    do_POST = handle_request


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--moto-endpoint", required=True)
    parser.add_argument("--admin-keys-file", required=True)
    parser.add_argument("--trust-file", required=True)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "::1"):
        parser.error("only loopback addresses")
    if urlsplit(args.moto_endpoint).hostname not in ("127.0.0.1", "::1", "localhost"):
        parser.error("moto must be on a loopback address")

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.stand = Stand(args)
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
