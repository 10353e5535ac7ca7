#!/usr/bin/env python3
"""The design c42-ship replaces, for bench/run to measure next to it: the
original Python Azure Function on a timer, re-implemented compactly. It is a
reference measurement, not product code, and deliberately keeps that
design's shape: whole objects in memory, one JSON document per 500-record
post, five worker threads, no retries (a failed message simply stays on the
queue for the next run).

    SQS_QUEUE_URL=... AWS_...=... LA_...=... bench/python_baseline.py

Environment, the same the tools get in the benchmark: SQS_QUEUE_URL;
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and AWS_ENDPOINT_URL
(moto's); LA_WORKSPACE_ID, LA_SHARED_KEY, LA_LOG_TYPE and LA_ENDPOINT (the
sink's; without it, the real Data Collector API of the workspace).

Prints one line of counts on stdout; exits 0 when every message it took was
deleted, 1 otherwise.
"""

import base64
import concurrent.futures
import datetime
import gzip
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import urllib.parse

import boto3
import requests

# An Azure Function on a timer gets 5 minutes by default; the original took
# no new work after 270 s so that what it had taken could finish.
TIME_LIMIT_S = 270
CHUNK_RECORDS = 500
WORKERS = 5
# sqs-poll's defaults (common/stages/poller.h), so both wait alike for an
# empty queue.
RECEIVE_MAX = 10
WAIT_SECONDS = 5


def announced_objects(body):
    """(bucket, key, event time) of every object a message announces: an S3
    event notification (keys form-URL-encoded) or Code42's own body, the
    one bench/run sends."""
    doc = json.loads(body)
    if "Records" in doc:
        return [(r["s3"]["bucket"]["name"], urllib.parse.unquote_plus(r["s3"]["object"]["key"]),
                 r.get("eventTime", "")) for r in doc["Records"]
                if r.get("eventName", "").startswith("ObjectCreated:")]
    if doc.get("Event") == "s3:TestEvent":
        return []
    return [(doc["Bucket Name"], doc["Object Key"], doc.get("Event Time", ""))]


def shared_key_authorization(workspace, key, date, length):
    """SharedKey as Microsoft documents it for the Data Collector API."""
    to_sign = "POST\n%d\napplication/json\nx-ms-date:%s\n/api/logs" % (length, date)
    digest = hmac.new(base64.b64decode(key), to_sign.encode("utf-8"), hashlib.sha256).digest()
    return "SharedKey %s:%s" % (workspace, base64.b64encode(digest).decode())


class Baseline:
    def __init__(self, env):
        self.queue_url = env["SQS_QUEUE_URL"]
        self.workspace, self.key = env["LA_WORKSPACE_ID"], env["LA_SHARED_KEY"]
        self.log_type = env.get("LA_LOG_TYPE", "Code42")
        endpoint = env.get("LA_ENDPOINT") or (
            "https://%s.ods.opinsights.azure.com" % self.workspace)
        self.url = endpoint.rstrip("/") + "/api/logs?api-version=2016-04-01"
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        endpoint_url = env.get("AWS_ENDPOINT_URL") or None
        # boto3 clients are thread-safe; sessions are not, hence one each.
        session = boto3.session.Session(region_name=region)
        self.sqs = session.client("sqs", endpoint_url=endpoint_url)
        self.s3 = session.client("s3", endpoint_url=endpoint_url)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.counts = dict.fromkeys(["receives", "messages", "deleted", "kept", "objects",
                                     "records", "posts"], 0)

    def count(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def post(self, records):
        """One Data Collector API post; True when accepted."""
        body = json.dumps(records).encode("utf-8")
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        headers = {"Content-Type": "application/json", "Log-Type": self.log_type,
                   "x-ms-date": date,
                   "Authorization": shared_key_authorization(self.workspace, self.key, date,
                                                             len(body))}
        # One keep-alive session per worker thread (Microsoft's sample opens a
        # connection per post; reusing one only flatters the baseline).
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
        resp = self.local.http.post(self.url, data=body, headers=headers, timeout=60)
        self.count("posts")
        return 200 <= resp.status_code < 300

    def handle(self, message):
        """Fetches, gunzips, maps and posts every object of one message;
        deletes it only when every chunk was accepted."""
        try:
            ok = True
            for bucket, key, event_time in announced_objects(message["Body"]):
                data = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                self.count("objects")
                # Split on b"\n" only: str.splitlines() would also break lines
                # at the U+2028 and U+2029 Code42 leaves raw inside strings.
                records = [{"Bucket_Name": bucket, "Key": key, "Actual_Time": event_time,
                            "Raw_Data": line.decode("utf-8", errors="replace")}
                           for line in data.split(b"\n") if line]
                for i in range(0, len(records), CHUNK_RECORDS):
                    chunk = records[i:i + CHUNK_RECORDS]
                    if not self.post(chunk):
                        ok = False
                        break
                    self.count("records", len(chunk))
                if not ok:
                    break
            if ok:
                self.sqs.delete_message(QueueUrl=self.queue_url,
                                        ReceiptHandle=message["ReceiptHandle"])
        except Exception as e:  # the message stays; the next run retries it
            print("python_baseline: error: %s" % type(e).__name__, file=sys.stderr)
            ok = False
        self.count("deleted" if ok else "kept")
        return ok

    def run(self):
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            while time.monotonic() - started < TIME_LIMIT_S:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=RECEIVE_MAX,
                    WaitTimeSeconds=WAIT_SECONDS).get("Messages", [])
                self.count("receives")
                if not messages:
                    break
                self.count("messages", len(messages))
                # Five at a time: the messages of one receive and so their
                # objects; the next receive once they are all done.
                list(pool.map(self.handle, messages))
        c = self.counts
        print("python baseline: elapsed %.1f s receives %d messages received %d messages deleted "
              "%d messages kept %d objects fetched %d records sent %d posts %d" % (
                  time.monotonic() - started, c["receives"], c["messages"], c["deleted"],
                  c["kept"], c["objects"], c["records"], c["posts"]))
        return 0 if c["kept"] == 0 else 1


if __name__ == "__main__":
    sys.exit(Baseline(os.environ).run())
