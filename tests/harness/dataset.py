"""Synthetic Code42 (Incydr) file-event exports: gzip'd NDJSON objects in S3,
each announced on SQS the way Code42 does. Lines are made awkward on purpose
(non-ASCII, U+2028, escapes, long lines) because they must arrive
byte-for-byte."""

import gzip
import json
import random
import uuid

EVENT_TYPES = ["CREATED", "MODIFIED", "DELETED", "READ_BY_APP", "EMAILED"]


def event_line(rng, object_no, line_no, long_every=0):
    event = {
        "@timestamp": "2026-11-25T%02d:%02d:%02d.%03dZ" % (
            rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(1000)),
        "eventId": "0_%d_%d_%d" % (object_no, line_no, rng.randrange(10**9)),
        "eventType": rng.choice(EVENT_TYPES),
        "fileName": rng.choice(["report.pdf", "Résumé final.docx", "数据.xlsx",
                                'quote"and\\slash.txt', "line\u2028sep.txt"]),
        "filePath": "C:/Users/user%d/Documents/" % rng.randrange(50),
        "fileSize": rng.randrange(10**7),
        "deviceUserName": "user%d@example.com" % rng.randrange(50),
        "md5Checksum": "%032x" % rng.getrandbits(128),
    }
    if long_every and line_no % long_every == long_every - 1:
        # Code42 lines of 50-200 KB occur (long path lists, tab titles).
        event["tabTitles"] = ["tab é %d " % i * 3 for i in range(3000)]
    return json.dumps(event, ensure_ascii=False)


def make_object(rng, object_no, lines, long_every=0):
    return [event_line(rng, object_no, i, long_every) for i in range(lines)]


def encode(lines, how="gzip"):
    text = ("\n".join(lines) + "\n").encode("utf-8")
    if how == "gzip":
        return gzip.compress(text)
    if how == "multi-gzip":
        half = len(lines) // 2
        first = ("\n".join(lines[:half]) + "\n").encode("utf-8")
        second = ("\n".join(lines[half:]) + "\n").encode("utf-8")
        return gzip.compress(first) + gzip.compress(second)
    if how == "plain-no-newline":
        return "\n".join(lines).encode("utf-8")
    return text


def code42_body(bucket, key, event_time="2026-11-25T01:00:00Z"):
    return json.dumps({"Bucket Name": bucket, "Object Key": key, "Event Time": event_time})


def new_bucket_and_queue(s3, sqs):
    """A fresh bucket and queue of unique names, for one test's exports:
    (bucket name, queue URL)."""
    bucket = "code42-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    return bucket, sqs.create_queue(QueueName="c42-" + uuid.uuid4().hex[:8])["QueueUrl"]


def publish(s3, sqs, queue_url, bucket, objects, seed=42, lines_per_object=150,
            long_every=0, prefix="code42/exports/2026-11-25/"):
    """Uploads `objects` exports under `prefix` and announces each; returns
    {key: [lines]}."""
    rng = random.Random(seed)
    encodings = ["gzip", "gzip", "multi-gzip", "plain"]
    published = {}
    for n in range(objects):
        how = encodings[n % len(encodings)]
        suffix = ".json" if how == "plain" else ".json.gz"
        key = "%sfile-events-%04d%s" % (prefix, n, suffix)
        lines = make_object(rng, n, lines_per_object, long_every)
        s3.put_object(Bucket=bucket, Key=key, Body=encode(lines, how))
        sqs.send_message(QueueUrl=queue_url, MessageBody=code42_body(bucket, key))
        published[key] = lines
    return published
