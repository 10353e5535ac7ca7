#!/usr/bin/env python3
"""A fault-injecting HTTP reverse proxy in front of moto_server, for tests.

The tools reach it through AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3 and
AWS_ENDPOINT_URL_SQS). It forwards every request to moto unchanged, the
request target, the Host header and the body byte for byte, so moto still
checks the SigV4 signature, and it passes moto's answer back. Rules (the
shape la_standin.py's take, see tests/standins/README.md) make it answer
some requests itself instead, as S3 and SQS do when they are overloaded: S3
503 SlowDown with its XML error body, SQS throttling as its JSON protocol
sends it (HTTP 400, "__type" and x-amzn-query-error), a connection dropped
or never answered, a body cut off after part of it was sent. Faults that
moto produces itself (NoSuchKey, AccessDenied) are left to moto.

It also records, for the tests' "nothing deleted before it was delivered"
checks, every SQS ReceiveMessage moto answered (message ids, receipt
handles, bodies) and every DeleteMessage(Batch) it forwarded, with the time
the request arrived and the entries moto reported deleted.

Python standard library only. SIGTERM or SIGINT stops it with status 0.
"""

import argparse
import http.client
import ipaddress
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import fault_rules

# Not forwarded: they describe one hop, not the request (RFC 9110, 7.6.1),
# and Expect is answered here (BaseHTTPRequestHandler sends 100 Continue).
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "expect", "proxy-connection"}
SERVICES = ("s3", "sqs")
# The error a status stands for when a rule names none: what each service
# documents for it ("Error responses" in the Amazon S3 API Reference; the
# SQS API Reference's common errors and its actions' errors).
DEFAULT_ERROR = {
    "s3": {500: "InternalError", 503: "SlowDown"},
    "sqs": {400: "RequestThrottled", 500: "InternalFailure", 503: "ServiceUnavailable"},
}
ERROR_MESSAGE = {
    "SlowDown": "Please reduce your request rate.",
    "RequestThrottled": "Request is throttled.",
    "ThrottlingException": "Rate exceeded",
    "InternalError": "We encountered an internal error. Please try again.",
    "InternalFailure": "The request processing has failed because of an unknown error, "
                       "exception or failure.",
    "ServiceUnavailable": "The request has failed due to a temporary failure of the server.",
}
COPY_BYTES = 64 * 1024


def log(line):
    sys.stderr.write("fault_proxy: " + line + "\n")
    sys.stderr.flush()


def check_own(raw, rule, where):
    if "service" in raw:
        if raw["service"] not in SERVICES:
            raise ValueError(where + ": service must be one of " + ", ".join(SERVICES))
        rule["service"] = raw["service"]
    if "action" in raw:
        if not isinstance(raw["action"], str) or not raw["action"]:
            raise ValueError(where + ": action must be a non-empty string")
        rule["action"] = raw["action"]
    if "truncate" in raw:
        t = raw["truncate"]
        if not isinstance(t, int) or isinstance(t, bool) or t < 0:
            raise ValueError(where + ": truncate must be a byte count >= 0")
        rule["truncate"] = t
    if "status" in raw and "error" not in raw:
        service = rule.get("service")
        if service is None or rule["status"] not in DEFAULT_ERROR[service]:
            raise ValueError(where + ": status %d needs an error code (or a service that "
                             "documents one for it)" % rule["status"])


def parse_rules(value):
    return fault_rules.parse_rules(value, own_keys={"service", "action", "truncate"},
                                   check_own=check_own, own_answers=("truncate",))


def credential_scope_service(authorization):
    """The service of a SigV4 Authorization header's credential scope
    (Credential=AKID/20240501/us-east-1/s3/aws4_request), or None."""
    for part in authorization.replace(",", " ").split():
        if part.startswith("Credential="):
            fields = part[len("Credential="):].split("/")
            if len(fields) == 5:
                return fields[3]
    return None


def s3_action(method, path):
    """The S3 operation a path-style request names, roughly: enough to aim
    a rule at GetObject."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    has_key = len(parts) >= 2
    return {("GET", True): "GetObject", ("HEAD", True): "HeadObject",
            ("PUT", True): "PutObject", ("DELETE", True): "DeleteObject",
            ("GET", False): "ListObjects"}.get((method, has_key), method)


class State:
    def __init__(self, args, rules):
        self.args = args
        self.upstream = urlsplit(args.upstream)
        self.rules = fault_rules.RuleBook(rules, args.seed)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.stats = {}
        self.events = []  # SQS receives and deletions, in arrival order

    def count(self, service, action, outcome):
        with self.lock:
            key = "%s %s %s" % (service, action, outcome)
            self.stats[key] = self.stats.get(key, 0) + 1

    def record(self, event):
        with self.lock:
            self.events.append(event)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as libcurl expects
    server_version = "fault_proxy"
    timeout = 120  # a client that stalls mid-request does not pin a thread forever

    def log_message(self, fmt, *args):
        pass  # one line per request is written by note(), without headers

    def version_string(self):
        return self.server_version

    @property
    def state(self):
        return self.server.state

    def note(self, service, action, outcome):
        self.state.count(service, action, outcome)
        log("%s %s %s -> %s" % (self.command, service, action, outcome))

    def do_request(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.send_plain(411, "chunked request bodies are not supported: send Content-Length")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path.startswith("/_control/"):
            return self.control(path, body)
        self.count_connection()
        service = credential_scope_service(self.headers.get("Authorization") or "") or "-"
        target = self.headers.get("X-Amz-Target") or ""
        if target.startswith("AmazonSQS."):
            service, action = "sqs", target[len("AmazonSQS."):]
        elif service == "s3":
            action = s3_action(self.command, self.path)
        else:
            action = "-"
        arrived = time.time()
        index, rule = self.state.rules.take(lambda r: self.applies(r, service, action, body))
        if rule is not None:
            if rule.get("delay"):
                time.sleep(rule["delay"])
            if rule.get("close"):
                self.note(service, action, "closed-by-rule-%d" % index)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if rule.get("hang"):
                self.note(service, action, "hung-by-rule-%d" % index)
                self.close_connection = True
                fault_rules.hold_until_closed(self.connection, self.state.stopping)
                return
            if "status" in rule:
                self.answer_error(service, action, rule, index)
                return
        self.forward(service, action, body, arrived, rule, index)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_request

    def applies(self, rule, service, action, body):
        if rule.get("service", service) != service or rule.get("action", action) != action:
            return False
        if "match" in rule:
            needle = rule["match"].encode("utf-8")
            return needle in self.path.encode("utf-8") or needle in body
        return True

    # --- answers of our own ---------------------------------------------------

    def send_plain(self, status, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def count_connection(self):
        """Counts this connection once, at its first proxied request, as
        "connections": requests over connections say whether a client keeps
        its connections alive."""
        if getattr(self, "connection_counted", False):
            return
        self.connection_counted = True
        with self.state.lock:
            self.state.stats["connections"] = self.state.stats.get("connections", 0) + 1

    def answer_error(self, service, action, rule, index):
        status = rule["status"]
        code = rule.get("error") or DEFAULT_ERROR.get(service, {}).get(status, "InternalError")
        message = rule.get("message") or ERROR_MESSAGE.get(code, "injected by fault_proxy")
        request_id = str(uuid.uuid4())
        headers = []
        if service == "sqs":
            # The SQS JSON protocol: the shape's id in "__type", and the code
            # its query API used in x-amzn-query-error ("Interpreting Amazon
            # SQS JSON API responses").
            data = json.dumps({"__type": "com.amazonaws.sqs#" + code,
                               "message": message}).encode("utf-8")
            fault = "Sender" if status < 500 else "Receiver"
            headers = [("Content-Type", "application/x-amz-json-1.0"),
                       ("x-amzn-RequestId", request_id),
                       ("x-amzn-query-error", "%s;%s" % (code, fault))]
        else:
            # S3's REST error body ("Error responses", Amazon S3 API Reference).
            data = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
                    "<Message>%s</Message><RequestId>%s</RequestId><HostId>%s</HostId>"
                    "</Error>" % (code, message, request_id[:16].upper(),
                                  uuid.uuid4().hex)).encode("utf-8")
            headers = [("Content-Type", "application/xml"),
                       ("x-amz-request-id", request_id[:16].upper())]
        if "retry_after" in rule:
            headers.append(("Retry-After", str(rule["retry_after"])))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.note(service, action, "%d %s by rule %d" % (status, code, index))

    # --- forwarding -------------------------------------------------------------

    def forward(self, service, action, body, arrived, rule, index):
        """The request as it came, to moto, and moto's answer back: whole, or
        cut off after rule["truncate"] body bytes with the full
        Content-Length already sent."""
        up = self.state.upstream
        connection = http.client.HTTPConnection(up.hostname, up.port, timeout=120)
        try:
            # The client's own Host header goes along (http.client adds none
            # when one is given): it is signed.
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
            connection.putrequest(self.command, self.path, skip_host=True,
                                  skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body if body else None)
            answer = connection.getresponse()
            self.relay(service, action, body, arrived, answer, rule, index)
        except (OSError, http.client.HTTPException) as e:
            self.note(service, action, "upstream failed: %s" % e.__class__.__name__)
            self.close_connection = True
            try:
                self.send_plain(502, "fault_proxy: moto did not answer: %s" % e)
            except OSError:
                pass
        finally:
            connection.close()

    def relay(self, service, action, body, arrived, answer, rule, index):
        passed = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        length = answer.getheader("Content-Length")
        truncate = rule.get("truncate") if rule else None
        record = service == "sqs" and action in ("ReceiveMessage", "DeleteMessage",
                                                 "DeleteMessageBatch")
        if length is None or record or self.command == "HEAD":
            # Small or framed by chunks upstream: read whole, send with a length.
            data = answer.read() if self.command != "HEAD" else b""
            if length is None:
                passed = [(k, v) for k, v in passed if k.lower() != "content-length"]
                passed.append(("Content-Length", str(len(data))))
            if record:
                self.record_sqs(action, body, arrived, answer.status, data)
            self.send_response(answer.status, answer.reason)
            for name, value in passed:
                self.send_header(name, value)
            self.end_headers()
            if truncate is not None and truncate < len(data):
                self.wfile.write(data[:truncate])
                self.cut_off(service, action, index, truncate, len(data))
                return
            self.wfile.write(data)
            self.note(service, action, str(answer.status))
            return
        self.send_response(answer.status, answer.reason)
        for name, value in passed:
            self.send_header(name, value)
        self.end_headers()
        sent, total = 0, int(length)
        while sent < total:
            want = COPY_BYTES
            if truncate is not None:
                want = min(want, truncate - sent)
                if want <= 0:
                    self.cut_off(service, action, index, sent, total)
                    return
            piece = answer.read(want)
            if not piece:
                break
            self.wfile.write(piece)
            sent += len(piece)
        self.note(service, action, str(answer.status))

    def cut_off(self, service, action, index, sent, total):
        """Ends the connection mid-body: the client saw a Content-Length it
        will never get."""
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.note(service, action, "cut off after %d of %d bytes by rule %d"
                  % (sent, total, index))

    def record_sqs(self, action, body, arrived, status, data):
        try:
            request = json.loads(body or b"{}")
            reply = json.loads(data or b"{}")
        except ValueError:
            return
        event = {"time": arrived, "action": action, "status": status,
                 "queue_url": request.get("QueueUrl")}
        if action == "ReceiveMessage":
            if status != 200:
                return
            event["messages"] = [{"message_id": m.get("MessageId"),
                                  "receipt_handle": m.get("ReceiptHandle"),
                                  "body": m.get("Body")} for m in reply.get("Messages") or []]
        elif action == "DeleteMessage":
            event["receipt_handles"] = [request.get("ReceiptHandle")]
            event["deleted"] = event["receipt_handles"] if status == 200 else []
        else:
            entries = {e.get("Id"): e.get("ReceiptHandle") for e in request.get("Entries") or []}
            event["receipt_handles"] = list(entries.values())
            ok = [s.get("Id") for s in reply.get("Successful") or []] if status == 200 else []
            event["deleted"] = [entries[i] for i in ok if i in entries]
        self.state.record(event)

    # --- /_control ----------------------------------------------------------------

    def control(self, path, body):
        state = self.state
        reply = None
        status = 200
        answer = None
        if path == "/_control/rules":
            answer = fault_rules.rules_endpoint(state.rules, self.command, body, parse_rules)
        if answer:
            status, reply = answer
            if status != 200:
                reply = {"error": reply}
        elif path == "/_control/stats" and self.command == "GET":
            with state.lock:
                reply = dict(state.stats)
        elif path == "/_control/events" and self.command == "GET":
            with state.lock:
                reply = list(state.events)
        else:
            status, reply = 404, {"error": "no control endpoint %s %s" % (self.command, path)}
        data = json.dumps(reply).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="moto_server's URL, http://127.0.0.1:PORT")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    p.add_argument("--port-file", help="write the bound port here, atomically, once listening")
    p.add_argument("--rules", default="[]", help="initial fault rules, JSON list")
    p.add_argument("--seed", type=int, help="seed of the draws that decide rules with a rate "
                                            "(default: a random one, logged at start)")
    args = p.parse_args(argv)
    if not loopback(args.host):
        p.error("--host must be a loopback address: this proxy is for tests only")
    upstream = urlsplit(args.upstream)
    if upstream.scheme != "http" or not upstream.port or not loopback(upstream.hostname or ""):
        p.error("--upstream must be http://<loopback address>:<port>")
    rules = fault_rules.initial_rules(p, args, parse_rules)
    state = State(args, rules)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    server = fault_rules.Server((args.host, args.port), family, Handler, state)
    port = server.server_address[1]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, name="serve", daemon=True).start()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    log("listening on %s port %d for %s (fault seed %d)" % (args.host, port, args.upstream,
                                                            args.seed))
    while not stop.wait(0.2):
        pass
    state.stopping.set()
    server.shutdown()
    server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
