#!/usr/bin/env python3
"""Strict stand-in for Azure Monitor's two Log Analytics ingestion APIs.

Accepts POST /api/logs?api-version=2016-04-01 signed with SharedKey exactly
as documented in "Send log data to Azure Monitor by using the HTTP Data
Collector API" (learn.microsoft.com/azure/azure-monitor/logs/
data-collector-api) and, when started with a DCR, POST
/dataCollectionRules/<dcr>/streams/<stream>?api-version=2023-01-01 with a
Microsoft Entra bearer token as "Logs Ingestion API in Azure Monitor"
documents it (tokens the Entra stand-in issued, checked against its JWKS).
It appends every accepted record to an NDJSON store and lets tests inject
faults at runtime through /_control/*. Python 3 standard library only, but
for the `cryptography` package the token checks need. See
tests/standins/README.md for the protocol.

Where the real service is lenient in ways that lose data silently (values
over 32 KB are truncated, a missing or unparsable time-generated-field falls
back to ingestion time) this stand-in answers 400 with an error code starting
with "Standin", so a test notices what production would not.
"""

import argparse
import base64
import binascii
import calendar
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import fault_rules

API_VERSION = "2016-04-01"
RESOURCE = "/api/logs"
# The docs say "30 MB per post" and "32 KB for field values" without saying
# decimal or binary; the decimal reading is the smaller, so it is the strict
# one (common/la/shared_key.h uses the same numbers).
DEFAULT_MAX_BODY_BYTES = 30 * 1000 * 1000
DEFAULT_MAX_FIELD_BYTES = 32 * 1000
# Our choice: the Data Collector docs name no window for x-ms-date. 900 s is
# the 15 minutes Azure Storage documents for its own SharedKey scheme.
DEFAULT_MAX_SKEW_SECONDS = 900
# Documented: "The Time Generated value cannot be older than 2 days before
# received time or more than a day in the future" (else ingestion time).
TIME_GENERATED_PAST = datetime.timedelta(days=2)
TIME_GENERATED_FUTURE = datetime.timedelta(days=1)
# Documented as reserved ("you'll receive an error"); compared without case
# because Log Analytics column names are case-insensitive.
RESERVED_PROPERTIES = {"tenant", "timegenerated", "rawdata"}
MAX_COLUMN_NAME = 45  # documented "maximum of 45 characters for column names"

LOG_TYPE_RE = re.compile(r"[A-Za-z0-9_]{1,100}\Z")
FIELD_NAME_RE = re.compile(r"[A-Za-z0-9_]+\Z")
GUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
AUTH_RE = re.compile(r"SharedKey ([^:\s]+):([A-Za-z0-9+/=]+)\Z")
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
RFC1123_RE = re.compile(r"(%s), (\d\d) (%s) (\d{4}) (\d\d):(\d\d):(\d\d) GMT\Z"
                        % ("|".join(DAYS), "|".join(MONTHS)))
ISO8601_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)\Z")

# The Logs Ingestion API ("Azure Monitor service limits"): 1 MB per call,
# "both compressed and uncompressed data"; 64 KB per field value. Decimal,
# the stricter reading, as for the Data Collector API.
INGESTION_API_VERSION = "2023-01-01"
INGESTION_PREFIX = "/dataCollectionRules/"
INGESTION_MAX_REQUEST_BYTES = 1000 * 1000
INGESTION_MAX_FIELD_BYTES = 64 * 1000
MONITOR_AUDIENCE = "https://monitor.azure.com"

# Error codes the docs list for each status, for injected faults.
DEFAULT_ERROR_FOR_STATUS = {
    400: "InvalidDataFormat",
    403: "InvalidAuthorization",
    404: "NotFound",
    429: "TooManyRequests",
    500: "UnspecifiedError",
    503: "ServiceUnavailable",
}
# The Logs Ingestion API's errors are {"error":{"code","message"}} with the
# code in x-ms-error-code too (its REST reference). The docs name codes only
# for 403 (OperationFailed, "The authentication token provided does not
# have access to ingest data for the data collection rule") and the 400
# RecordsTimeRangeIsMoreThan30Minutes; the others are our choice.
INGESTION_ERROR_FOR_STATUS = {
    400: "InvalidPayload",
    401: "InvalidToken",
    403: "OperationFailed",
    404: "NotFound",
    413: "ContentLengthLimitExceeded",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


def log(line):
    sys.stderr.write("la_standin: " + line + "\n")
    sys.stderr.flush()


class Reject(Exception):
    """A request answered with an Azure-style JSON error."""

    def __init__(self, status, error, message):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def check_api(raw, rule, where):
    if "api" in raw:
        if raw["api"] not in ("ingestion", "data-collector"):
            raise ValueError(where + ": api must be ingestion or data-collector")
        rule["api"] = raw["api"]


def parse_rules(value):
    """Validates a rule list; raises ValueError with a readable reason."""
    return fault_rules.parse_rules(value, own_keys={"api"}, check_own=check_api)


def new_stats():
    return {
        "requests": 0,            # every request to a non-control path
        "connections": 0,         # TCP connections that carried such requests
        "by_status": {},          # "200": n, ...
        "by_error": {},           # Azure/stand-in error code: n
        "injected": 0,            # requests answered (or closed, or hung) by a rule
        "posts_accepted": 0,
        "records_accepted": 0,
        "bytes_accepted": 0,      # body bytes of accepted posts
        "by_log_type": {},        # records accepted per Log-Type
        "by_stream": {},          # records accepted per Logs Ingestion stream
        "fields_truncated": 0,    # only with --truncate-field-values
        "time_generated_out_of_window": 0,  # Azure would use ingestion time
    }


class State:
    def __init__(self, args, key):
        self.args = args
        self.key = key
        self.lock = threading.Lock()
        # Seeded, so a run that met a fault can be repeated.
        self.rules = fault_rules.RuleBook([], args.seed)
        self.stopping = threading.Event()
        self.stats = new_stats()
        self.post_seq = 0
        self.store = open(args.store, "ab") if args.store else None
        self.jwks = None
        if args.entra_jwks:
            with open(args.entra_jwks) as f:
                self.jwks = json.load(f)
            self.issuer = args.token_issuer or self.jwks.get("issuer")

    def verify_token(self, token):
        """The claims of an access token the Entra stand-in issued for the
        Logs Ingestion API, now valid; raises jwt_rs256.TokenError."""
        import jwt_rs256  # only here: it needs the cryptography package
        return jwt_rs256.verify(token, self.jwks, self.issuer, [self.args.token_audience])

    def count(self, status, error=None, injected=False):
        with self.lock:
            self.stats["requests"] += 1
            key = str(status)
            self.stats["by_status"][key] = self.stats["by_status"].get(key, 0) + 1
            if error:
                self.stats["by_error"][error] = self.stats["by_error"].get(error, 0) + 1
            if injected:
                self.stats["injected"] += 1

    def take_rule(self, body, api):
        """First live rule matching body and api; consumes one of its times."""
        return self.rules.take(lambda rule: rule.get("api", api) == api and (
            "match" not in rule or rule["match"].encode("utf-8") in body))

    def accept(self, meta, records, body_len, truncated, out_of_window):
        """meta: what the store line says besides the record; its "api" is
        "data-collector" (with log_type) or "ingestion" (with stream)."""
        limit = self.args.digest_over
        if self.store and limit:
            records = [digest_long_values(record, limit) for record in records]
        # Written and flushed before the answer goes out, so a test that got
        # its response can read the store at once.
        with self.lock:
            self.post_seq += 1
            if self.store:
                received = datetime.datetime.now(datetime.timezone.utc).isoformat()
                lines = []
                for record in records:
                    line = {"post": self.post_seq, "received": received}
                    line.update(meta)
                    line["record"] = record
                    lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                self.store.write(("\n".join(lines) + "\n").encode("utf-8"))
                self.store.flush()
            s = self.stats
            s["posts_accepted"] += 1
            s["records_accepted"] += len(records)
            s["bytes_accepted"] += body_len
            if meta["api"] == "ingestion":
                per, key = s["by_stream"], meta["stream"]
            else:
                per, key = s["by_log_type"], meta["log_type"]
            per[key] = per.get(key, 0) + len(records)
            s["fields_truncated"] += truncated
            s["time_generated_out_of_window"] += out_of_window


def digest_long_values(record, limit):
    """The record as --digest-over stores it: each string value longer than
    `limit` UTF-8 bytes replaced with {"sha256": hex digest, "bytes": length}."""
    out = {}
    for name, value in record.items():
        if isinstance(value, str) and len(value) > limit // 4:
            data = value.encode("utf-8")
            if len(data) > limit:
                value = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        out[name] = value
    return out


def parse_x_ms_date(text):
    m = RFC1123_RE.match(text)
    if not m:
        return None
    day, dd, mon, yyyy, hh, mi, ss = m.groups()
    try:
        dt = datetime.datetime(int(yyyy), MONTHS.index(mon) + 1, int(dd), int(hh), int(mi),
                               int(ss), tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    if DAYS[dt.weekday()] != day:  # a wrong weekday means a hand-rolled formatter
        return None
    return dt


def parse_iso8601(text):
    if not isinstance(text, str) or not ISO8601_RE.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def object_pairs_no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError("duplicate property %r" % key)
        seen[key] = value
    return seen


def value_size(value):
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def truncate_utf8(text, limit):
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def gunzip_bounded(data, limit):
    """The gzip data decompressed (every member); OverflowError past `limit`
    bytes, ValueError when it is not whole gzip."""
    out = []
    size = 0
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            piece = d.decompress(data, limit + 1 - size)
        except zlib.error as e:
            raise ValueError(str(e))
        size += len(piece)
        out.append(piece)
        if size > limit or d.unconsumed_tail:
            raise OverflowError("over %d bytes" % limit)
        if not d.eof:
            raise ValueError("gzip stream truncated")
        data = d.unused_data
        if not data:
            return b"".join(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "la_standin"
    timeout = 60  # a client that stalls mid-body does not pin a thread forever

    # --- plumbing -----------------------------------------------------------

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        pass  # one line per request is written by finish_log instead

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def finish_log(self, status, records="-", error=None):
        path = urlsplit(self.path).path if self.path else "-"
        query = urlsplit(self.path).query if self.path else ""
        shown = path + ("?" + query if query else "")
        log("%s %s -> %s records=%s%s" % (self.command, shown, status, records,
                                          " error=" + error if error else ""))

    def send_json(self, status, obj, extra_headers=(), close=False):
        data = json.dumps(obj).encode("utf-8") if obj is not None else b""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for name, value in extra_headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def send_error_json(self, status, error, message, extra_headers=(), close=False,
                        api="data-collector"):
        if api == "ingestion":
            headers = [("x-ms-error-code", error)] + list(extra_headers)
            if status == 401:
                headers.append(("WWW-Authenticate", "Bearer"))
            self.send_json(status, {"error": {"code": error, "message": message}}, headers,
                           close)
        else:
            self.send_json(status, {"Error": error, "Message": message}, extra_headers, close)

    def read_body(self, limit, too_large):
        """Returns (body, problem). Oversized bodies are drained, not kept;
        too_large(length) is the problem then."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return None, Reject(411, "MissingContentLength",
                                "chunked bodies are not accepted: send Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            if self.command == "POST":
                return None, Reject(411, "MissingContentLength", "Content-Length is required")
            return b"", None
        if not raw.isdigit():
            return None, Reject(400, "InvalidContentLength", "Content-Length is not a number")
        length = int(raw)
        if length > limit:
            remaining = length
            while remaining > 0:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
            return None, too_large(length)
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            return None, Reject(400, "InvalidContentLength",
                                "body ended after %d of %d bytes" % (len(body), length))
        return body, None

    # --- dispatch -----------------------------------------------------------

    def do_POST(self):
        self.dispatch()

    def do_GET(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            self.control(path)
        else:
            self.count_connection()
            self.ingest(path)

    def count_connection(self):
        """Counts this connection once, at its first API request: requests
        over connections say whether a client keeps its connections alive."""
        if getattr(self, "connection_counted", False):
            return
        self.connection_counted = True
        state = self.server.state
        with state.lock:
            state.stats["connections"] += 1

    # --- /_control ----------------------------------------------------------

    def control(self, path):
        state = self.server.state
        body, problem = self.read_body(
            DEFAULT_MAX_BODY_BYTES, lambda n: Reject(413, "RequestTooLarge", "too large"))
        if problem:
            self.send_error_json(problem.status, problem.error, problem.message, close=True)
            self.finish_log(problem.status, error=problem.error)
            return
        status = 200
        answer = None
        if path == "/_control/rules":
            answer = fault_rules.rules_endpoint(state.rules, self.command, body, parse_rules)
        if answer:
            status, reply = answer
            if status != 200:
                self.send_error_json(400, "InvalidRules", reply)
                self.finish_log(400, error="InvalidRules")
                return
        elif path == "/_control/stats" and self.command == "GET":
            with state.lock:
                reply = json.loads(json.dumps(state.stats))
        elif path == "/_control/stats" and self.command == "DELETE":
            with state.lock:
                state.stats = new_stats()
                reply = json.loads(json.dumps(state.stats))
        else:
            status = 404
            reply = {"Error": "NotFound", "Message": "no control endpoint %s %s"
                     % (self.command, path)}
        self.send_json(status, reply)
        self.finish_log(status)

    # --- /api/logs ----------------------------------------------------------

    def ingest(self, path):
        state = self.server.state
        api = "ingestion" if path.startswith(INGESTION_PREFIX) else "data-collector"
        if api == "ingestion":
            body, problem = self.read_body(INGESTION_MAX_REQUEST_BYTES, lambda n: Reject(
                413, "ContentLengthLimitExceeded",
                "body of %d bytes exceeds the %d-byte limit per call"
                % (n, INGESTION_MAX_REQUEST_BYTES)))
        else:
            body, problem = self.read_body(state.args.max_body_bytes, lambda n: Reject(
                404, "RequestTooLarge",
                "body of %d bytes exceeds the %d-byte limit (the docs list 404 for a request "
                "that is too large)" % (n, state.args.max_body_bytes)))
        # Rules model the service misbehaving, so only real posts see them.
        index, rule = None, None
        if self.command == "POST" and (path == RESOURCE or api == "ingestion"):
            index, rule = state.take_rule(self.rule_view(body or b"", api), api)
        if rule is not None:
            if rule.get("delay"):
                time.sleep(rule["delay"])
            if rule.get("close"):
                state.count("closed", injected=True)
                self.finish_log("closed-by-rule-%d" % index)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if rule.get("hang"):
                state.count("hung", injected=True)
                self.finish_log("hung-by-rule-%d" % index)
                self.close_connection = True
                fault_rules.hold_until_closed(self.connection, state.stopping)
                return
            if "status" in rule:
                status = rule["status"]
                defaults = INGESTION_ERROR_FOR_STATUS if api == "ingestion" \
                    else DEFAULT_ERROR_FOR_STATUS
                error = rule.get("error", defaults.get(status, "Injected"))
                headers = []
                if "retry_after" in rule:
                    headers.append(("Retry-After", str(rule["retry_after"])))
                state.count(status, error if status >= 300 else None, injected=True)
                if 200 <= status < 300:
                    # An injected success stores nothing: it models a service
                    # that acknowledged and then lost the data.
                    self.send_json(status, None, headers, close=problem is not None)
                else:
                    self.send_error_json(status, error,
                                         rule.get("message", "injected by stand-in rule %d" % index),
                                         headers, close=problem is not None, api=api)
                self.finish_log(status, error=error if status >= 300 else None)
                return
            # delay-only rule: a slow but otherwise normal answer follows
        try:
            if problem:
                raise problem
            if api == "ingestion":
                records, meta, truncated = self.verify_ingestion(path, body)
                out_of_window = 0
            else:
                records, meta, truncated, out_of_window = self.verify(path, body)
        except Reject as r:
            state.count(r.status, r.error)
            extra = [("Allow", "POST")] if r.status == 405 else []
            self.send_error_json(r.status, r.error, r.message, extra,
                                 close=problem is not None, api=api)
            self.finish_log(r.status, error=r.error)
            return
        state.accept(meta, records, len(body), truncated, out_of_window)
        # The Logs Ingestion API answers 204, the Data Collector API 200.
        status = 204 if api == "ingestion" else 200
        state.count(status)
        self.send_json(status, None)
        self.finish_log(status, records=len(records))

    def rule_view(self, body, api):
        """What a rule's `match` looks at: a gzip'd body decompressed, so
        rules can pick records by their content."""
        if api == "ingestion" and (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            try:
                return gunzip_bounded(body, 64 * INGESTION_MAX_REQUEST_BYTES)
            except (ValueError, OverflowError):
                pass
        return body

    def parse_records(self, body, code):
        """The body as a non-empty JSON array of objects; Reject(400, code)
        otherwise."""
        try:
            text = body.decode("utf-8")
            if text.startswith("\ufeff"):
                raise ValueError("body starts with a byte order mark")
            data = json.loads(text, parse_constant=reject_constant,
                              object_pairs_hook=object_pairs_no_duplicates)
        except (UnicodeDecodeError, ValueError) as e:
            raise Reject(400, code, "body is not valid UTF-8 JSON: %s" % e)
        if not isinstance(data, list):
            raise Reject(400, code,
                         "body must be a JSON array of objects, not %s" % type(data).__name__)
        if not data:
            raise Reject(400, code, "body must hold one or more records")
        for i, record in enumerate(data):
            if not isinstance(record, dict):
                raise Reject(400, code,
                             "record %d is a %s, not an object" % (i, type(record).__name__))
        return data

    def check_field_sizes(self, data, limit):
        """Returns how many values were truncated (--truncate-field-values)."""
        args = self.server.state.args
        truncated = 0
        for i, record in enumerate(data):
            for name in list(record):
                size = value_size(record[name])
                if size > limit:
                    if args.truncate_field_values and isinstance(record[name], str):
                        record[name] = truncate_utf8(record[name], limit)
                        truncated += 1
                        continue
                    raise Reject(400, "StandinFieldValueTooLarge",
                                 "record %d property %r is %d bytes; Azure would truncate it to "
                                 "%d" % (i, name, size, limit))
        return truncated

    def check_api_version(self, expected):
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        versions = query.get("api-version")
        if not versions:
            raise Reject(400, "MissingApiVersion", "the api-version query parameter is missing")
        if versions != [expected]:
            raise Reject(400, "InvalidApiVersion",
                         "api-version %r is not %s" % (",".join(versions), expected))

    def verify_ingestion(self, path, body):
        state = self.server.state
        args = state.args
        if not args.dcr_id:
            raise Reject(404, "NotFound", "this stand-in was started without a data collection "
                                          "rule (--dcr-id, --stream, --entra-jwks)")
        parts = path.split("/")
        if len(parts) != 5 or parts[3] != "streams" or not parts[2] or not parts[4]:
            raise Reject(404, "NotFound", "no resource %s" % path)
        dcr, stream = parts[2], parts[4]
        if self.command != "POST":
            raise Reject(405, "MethodNotAllowed", "%s accepts only POST" % path)
        self.check_api_version(INGESTION_API_VERSION)

        # The caller first: who it is decides what it may see.
        authorization = self.headers.get("Authorization") or ""
        if not authorization.startswith("Bearer ") or not authorization[7:].strip():
            raise Reject(401, "InvalidToken", "no bearer token in Authorization")
        try:
            claims = state.verify_token(authorization[7:].strip())
        except Exception as e:  # jwt_rs256.TokenError; never echo the token
            raise Reject(401, "InvalidToken", "the bearer token was refused: %s" % e)
        if dcr.lower() != args.dcr_id.lower():
            raise Reject(404, "NotFound",
                         "no data collection rule with immutable ID %r" % dcr)
        if stream not in args.stream:
            raise Reject(400, "InvalidStream",
                         "data collection rule %s declares no stream %r" % (dcr, stream))

        content_type = self.headers.get("Content-Type") or ""
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise Reject(415, "UnsupportedMediaType",
                         "Content-Type %r is not application/json" % content_type)
        encoding = (self.headers.get("Content-Encoding") or "").strip().lower()
        if encoding == "gzip":
            try:
                body = gunzip_bounded(body, INGESTION_MAX_REQUEST_BYTES)
            except OverflowError:
                raise Reject(413, "ContentLengthLimitExceeded",
                             "body exceeds the %d-byte limit per call once decompressed"
                             % INGESTION_MAX_REQUEST_BYTES)
            except ValueError as e:
                raise Reject(400, "InvalidContentEncoding", "body is not gzip: %s" % e)
        elif encoding:
            raise Reject(415, "UnsupportedMediaType",
                         "Content-Encoding %r is neither gzip nor absent" % encoding)
        data = self.parse_records(body, "InvalidPayload")
        truncated = self.check_field_sizes(data, args.ingestion_max_field_bytes)
        meta = {"api": "ingestion", "dcr_id": dcr, "stream": stream,
                "principal": claims.get("oid")}
        return data, meta, truncated

    def verify(self, path, body):
        args = self.server.state.args
        if path != RESOURCE:
            raise Reject(404, "NotFound", "no resource %s (the only one is %s)" % (path, RESOURCE))
        if self.command != "POST":
            raise Reject(405, "MethodNotAllowed", "%s accepts only POST" % RESOURCE)

        self.check_api_version(API_VERSION)

        content_type = self.headers.get("Content-Type")
        if content_type is None or not content_type.strip():
            raise Reject(400, "MissingContentType", "the Content-Type header is missing")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise Reject(400, "UnsupportedContentType",
                         "Content-Type %r is not application/json" % content_type)

        log_type = self.headers.get("Log-Type")
        if not log_type:
            raise Reject(400, "MissingLogType", "the Log-Type header is missing")
        if not LOG_TYPE_RE.match(log_type):
            raise Reject(400, "InvalidLogType",
                         "Log-Type %r must be 1-100 letters, digits or underscores" % log_type)

        authorization = self.headers.get("Authorization")
        if not authorization:
            raise Reject(403, "InvalidAuthorization", "the Authorization header is missing")
        m = AUTH_RE.match(authorization)
        if not m:
            # Never echo the header: it carries the signature.
            raise Reject(403, "InvalidAuthorization",
                         "Authorization is not 'SharedKey <workspace-id>:<base64 signature>'")
        workspace, signature = m.groups()
        if not GUID_RE.match(workspace):
            raise Reject(400, "InvalidCustomerId", "workspace ID %r is not a GUID" % workspace)
        if workspace.lower() != args.workspace_id.lower():
            raise Reject(403, "InvalidAuthorization",
                         "workspace ID %s is not this workspace" % workspace)

        x_ms_date = self.headers.get("x-ms-date")
        if not x_ms_date:
            raise Reject(403, "InvalidAuthorization", "the x-ms-date header is missing")
        when = parse_x_ms_date(x_ms_date)
        if when is None:
            raise Reject(403, "InvalidAuthorization",
                         "x-ms-date %r is not a valid RFC 1123 date like "
                         "'Sun, 30 Aug 2015 12:36:00 GMT'"
                         % x_ms_date)
        skew = abs(time.time() - calendar.timegm(when.timetuple()))
        if skew > args.max_skew_seconds:
            raise Reject(403, "InvalidAuthorization",
                         "x-ms-date %r is %d s away from the stand-in's clock (limit %d s)"
                         % (x_ms_date, skew, args.max_skew_seconds))

        # The server signs what it received: the real Content-Type and body
        # length. A client that signed "application/json" but sent a charset
        # suffix fails here, as the docs warn it does against Azure.
        string_to_sign = "POST\n%d\n%s\nx-ms-date:%s\n%s" % (
            len(body), content_type, x_ms_date, RESOURCE)
        expected = base64.b64encode(hmac.new(self.server.state.key,
                                             string_to_sign.encode("utf-8"),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise Reject(403, "InvalidAuthorization",
                         "signature does not match the string to sign %s"
                         % json.dumps(string_to_sign))

        data = self.parse_records(body, "InvalidDataFormat")
        for i, record in enumerate(data):
            for name in record:
                if name.lower() in RESERVED_PROPERTIES:
                    raise Reject(400, "InvalidDataFormat",
                                 "record %d uses the reserved property %r" % (i, name))
                if args.strict_field_names and (not FIELD_NAME_RE.match(name)
                                                or len(name) > MAX_COLUMN_NAME):
                    raise Reject(400, "StandinInvalidFieldName",
                                 "record %d property %r is not 1-%d letters, digits or "
                                 "underscores" % (i, name, MAX_COLUMN_NAME))
        truncated = self.check_field_sizes(data, args.max_field_bytes)

        tgf = self.headers.get("time-generated-field") or None
        out_of_window = 0
        if tgf is not None:
            now = datetime.datetime.now(datetime.timezone.utc)
            for i, record in enumerate(data):
                if tgf not in record:
                    raise Reject(400, "StandinTimeGeneratedFieldMissing",
                                 "record %d has no time-generated-field %r" % (i, tgf))
                stamp = parse_iso8601(record[tgf])
                if stamp is None:
                    raise Reject(400, "StandinTimeGeneratedFieldInvalid",
                                 "record %d field %r = %s is not ISO 8601 with a zone"
                                 % (i, tgf, json.dumps(record[tgf])[:80]))
                if not now - TIME_GENERATED_PAST <= stamp <= now + TIME_GENERATED_FUTURE:
                    out_of_window += 1
        resource_id = self.headers.get("x-ms-AzureResourceId") or None
        meta = {"api": "data-collector", "log_type": log_type, "time_generated_field": tgf,
                "resource_id": resource_id}
        return data, meta, truncated, out_of_window


def write_port_file(path, port):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".port-", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write("%d\n" % port)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # readers see no file or the whole number
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default %(default)s)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--port-file", help="write the bound port here, atomically, once listening")
    p.add_argument("--workspace-id", required=True, help="workspace GUID to accept")
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--shared-key", help="workspace key, base64")
    key.add_argument("--shared-key-file", help="file holding the base64 key")
    p.add_argument("--store", help="append accepted records here as NDJSON")
    p.add_argument("--rules", default="[]", help="initial fault rules, JSON list")
    p.add_argument("--seed", type=int,
                   help="seed of the draws that decide rules with a rate (default: a random "
                        "one, logged at start)")
    p.add_argument("--max-skew-seconds", type=int, default=DEFAULT_MAX_SKEW_SECONDS,
                   help="x-ms-date tolerance (default %(default)s; our choice, see README)")
    p.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    p.add_argument("--max-field-bytes", type=int, default=DEFAULT_MAX_FIELD_BYTES)
    p.add_argument("--digest-over", type=int, default=0, metavar="BYTES",
                   help="store each string value longer than BYTES as its SHA-256 and "
                        "length, so a test can ship gigabytes without storing them")
    p.add_argument("--truncate-field-values", action="store_true",
                   help="truncate long string values and count them, as Azure does, "
                        "instead of answering 400")
    p.add_argument("--dcr-id", help="serve the Logs Ingestion API for this data collection "
                                    "rule (its immutable ID)")
    p.add_argument("--stream", action="append", default=[],
                   help="a stream the DCR declares (repeatable)")
    p.add_argument("--entra-jwks", help="JSON file with the Entra stand-in's signing keys and "
                                        "issuer (entra_standin.py --jwks-file)")
    p.add_argument("--token-issuer", help="issuer to require (default: the JWKS file's)")
    p.add_argument("--token-audience", default=MONITOR_AUDIENCE,
                   help="audience to require (default %(default)s)")
    p.add_argument("--ingestion-max-field-bytes", type=int, default=INGESTION_MAX_FIELD_BYTES)
    p.add_argument("--strict-field-names", action="store_true",
                   help="reject property names that are not letters/digits/underscore "
                        "or are longer than 45 characters")
    args = p.parse_args(argv)

    try:
        host_ip = ipaddress.ip_address(args.host)
    except ValueError:
        p.error("--host must be a loopback IP address, not %r" % args.host)
    if not host_ip.is_loopback:
        p.error("--host must be a loopback address: this stand-in is for tests only")
    if not GUID_RE.match(args.workspace_id):
        p.error("--workspace-id is not a GUID")
    if not 0 <= args.port <= 65535:
        p.error("--port must be 0..65535")
    if args.shared_key_file:
        try:
            with open(args.shared_key_file) as f:
                key_text = f.read().strip()
        except OSError as e:
            p.error("cannot read --shared-key-file: %s" % e.strerror)
    else:
        key_text = args.shared_key.strip()
    try:
        key_bytes = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        p.error("the shared key is not valid base64")  # never print the key
    if not key_bytes:
        p.error("the shared key is empty")
    if args.dcr_id and not (args.stream and args.entra_jwks):
        p.error("--dcr-id needs --stream and --entra-jwks")
    rules = fault_rules.initial_rules(p, args, parse_rules)
    state = State(args, key_bytes)
    state.rules.replace(rules)
    family = socket.AF_INET6 if host_ip.version == 6 else socket.AF_INET
    server = fault_rules.Server((args.host, args.port), family, Handler, state)
    port = server.server_address[1]

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    thread.start()
    if args.port_file:
        write_port_file(args.port_file, port)
    log("listening on %s port %d for workspace %s (fault seed %d)"
        % (args.host, port, args.workspace_id, args.seed))
    while not stop.wait(0.2):
        pass
    state.stopping.set()
    server.shutdown()
    server.server_close()
    if state.store:
        state.store.close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
