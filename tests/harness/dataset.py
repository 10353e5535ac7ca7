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


# The realistic mix the benchmark ships (bench/README.md): Incydr file
# events in Code42's flat (v1) and nested (v2) shapes, Windows and Unix
# paths, names in many scripts, escapes and raw U+2028, and now and then a
# line of 50-200 KB.
USERS = ["user%d@example.com" % i for i in range(200)] + ["jürgen.müller@example.de",
                                                           "王伟@example.cn"]
WINDOWS_DIRS = ["C:\\Users\\%s\\Documents\\", "C:\\Users\\%s\\Desktop\\Q3 \"final\"\\",
                "D:\\Projekte\\%s\\Übersicht\\", "\\\\fileserver\\share$\\%s\\"]
UNIX_DIRS = ["/Users/%s/Downloads/", "/home/%s/src/tab\tnames/", "/Volumes/USB/%s/"]
FILE_NAMES = ["report.pdf", "Résumé final.docx", "数据.xlsx", 'quote"and\\slash.txt',
              "line\u2028sep.txt", "para\u2029graph.md", "notes\nwith newline.txt",
              "ёлка.pptx", "emoji 🚀 plan.key", "tab\tseparated.csv"]
CATEGORIES = ["Document", "Spreadsheet", "Image", "Archive", "SourceCode", "Presentation"]
SOURCES = ["Endpoint", "OneDrive", "GoogleDrive", "Box", "Gmail", "Office365"]


def _path(rng, user):
    if rng.random() < 0.7:
        return rng.choice(WINDOWS_DIRS) % user.split("@")[0]
    return rng.choice(UNIX_DIRS) % user.split("@")[0]


def _timestamp(rng):
    return "2026-11-25T%02d:%02d:%02d.%03dZ" % (
        rng.randrange(24), rng.randrange(60), rng.randrange(60), rng.randrange(1000))


def flat_event(rng, object_no, line_no):
    """A file event in the flat shape of Code42's first export format."""
    user = rng.choice(USERS)
    return {
        "eventId": "0_%d_%d_%d" % (object_no, line_no, rng.randrange(10**9)),
        "eventType": rng.choice(EVENT_TYPES),
        "eventTimestamp": _timestamp(rng),
        "insertionTimestamp": _timestamp(rng),
        "fieldErrors": [],
        "filePath": _path(rng, user),
        "fileName": rng.choice(FILE_NAMES),
        "fileType": "FILE",
        "fileCategory": rng.choice(CATEGORIES),
        "identifiedExtensionCategory": rng.choice(CATEGORIES),
        "fileSize": rng.randrange(10**9),
        "fileOwner": user,
        "md5Checksum": "%032x" % rng.getrandbits(128),
        "sha256Checksum": "%064x" % rng.getrandbits(256),
        "createTimestamp": _timestamp(rng),
        "modifyTimestamp": _timestamp(rng),
        "deviceUserName": user,
        "osHostName": "LAPTOP-%06X" % rng.getrandbits(24),
        "domainName": "host%d.corp.example.com" % rng.randrange(500),
        "publicIpAddress": "203.0.113.%d" % rng.randrange(256),
        "privateIpAddresses": ["10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256),
                                                rng.randrange(256)), "fe80::%x" % rng.getrandbits(16)],
        "deviceUid": str(rng.getrandbits(60)),
        "userUid": str(rng.getrandbits(60)),
        "actor": None,
        "source": rng.choice(SOURCES),
        "url": None if rng.random() < 0.7 else "https://example.com/q?a=1&b=%22x%22",
        "shared": None,
        "exposure": rng.sample(["ApplicationRead", "RemovableMedia", "CloudStorage",
                                "IsPublic", "SharedViaLink"], rng.randrange(3)),
        "processOwner": user.split("@")[0],
        "processName": rng.choice(["chrome.exe", "explorer.exe", "OUTLOOK.EXE", "Finder"]),
        "tabWindowTitle": rng.choice([None, "Inbox – Outlook", "\"Quarterly\" plan\u2028draft"]),
        "removableMediaVendor": None,
        "syncDestination": None,
        "emailRecipients": None,
        "riskScore": rng.randrange(20),
        "riskSeverity": rng.choice(["NO_RISK_INDICATED", "LOW", "MODERATE", "HIGH", "CRITICAL"]),
        "riskIndicators": [{"name": "Remote file path", "weight": rng.randrange(10)}],
    }


def nested_event(rng, object_no, line_no):
    """A file event in the nested shape of Code42's Incydr exports."""
    user = rng.choice(USERS)
    return {
        "@timestamp": _timestamp(rng),
        "event": {"id": "0_%d_%d_%d" % (object_no, line_no, rng.randrange(10**9)),
                  "inserted": _timestamp(rng), "action": "file-" + rng.choice(
                      ["created", "modified", "deleted", "emailed", "downloaded"]).lower(),
                  "observer": rng.choice(SOURCES), "shareType": [], "detectorDisplayName": None},
        "user": {"email": user, "id": str(rng.getrandbits(60)),
                 "deviceUid": str(rng.getrandbits(60))},
        "file": {"name": rng.choice(FILE_NAMES), "directory": _path(rng, user),
                 "category": rng.choice(CATEGORIES), "mimeTypeByBytes": "application/pdf",
                 "sizeInBytes": rng.randrange(10**9), "owner": user,
                 "created": _timestamp(rng), "modified": _timestamp(rng),
                 "hash": {"md5": "%032x" % rng.getrandbits(128),
                          "sha256": "%064x" % rng.getrandbits(256), "md5Error": None},
                 "cloudDriveId": None, "classifications": []},
        "source": {"category": "Device", "name": "LAPTOP-%06X" % rng.getrandbits(24),
                   "domain": "host%d.corp.example.com" % rng.randrange(500),
                   "ip": "203.0.113.%d" % rng.randrange(256),
                   "privateIp": ["10.0.%d.%d" % (rng.randrange(256), rng.randrange(256))],
                   "operatingSystem": rng.choice(["Windows 11", "macOS 14.1", "Ubuntu 24.04"])},
        "destination": {"category": rng.choice(["Cloud Storage", "Removable Media", None]),
                        "name": rng.choice(["Dropbox", "SanDisk Cruzer", None]),
                        "tabs": [{"title": "Übersicht – \"Dropbox\"", "url": "https://x.example/a\\b"}]},
        "process": {"executable": rng.choice(["C:\\Program Files\\Google\\chrome.exe", "/usr/bin/cp"]),
                    "owner": user.split("@")[0]},
        "risk": {"score": rng.randrange(20), "severity": rng.choice(["LOW", "MODERATE", "HIGH"]),
                 "indicators": [{"name": "Untrusted domain", "weight": rng.randrange(10)}],
                 "trusted": rng.random() < 0.5, "untrusted": False},
    }


def realistic_line(rng, object_no, line_no, long_rate=0.0005):
    """One line of the benchmark's mix: flat or nested, and with probability
    long_rate a line of 50-200 KB."""
    event = (flat_event if rng.random() < 0.5 else nested_event)(rng, object_no, line_no)
    if rng.random() < long_rate:
        size = rng.randrange(50000, 200000)
        title = "tab é\u2028\"%d\" " % line_no
        item = len(json.dumps(title, ensure_ascii=False).encode("utf-8")) + 1
        event["tabTitles"] = [title] * (size // item)
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def make_object(rng, object_no, lines, long_every=0):
    return [event_line(rng, object_no, i, long_every) for i in range(lines)]


def encode(lines, how="gzip", level=9):
    text = ("\n".join(lines) + "\n").encode("utf-8")
    if how == "gzip":
        return gzip.compress(text, level)
    if how == "multi-gzip":
        half = len(lines) // 2
        first = ("\n".join(lines[:half]) + "\n").encode("utf-8")
        second = ("\n".join(lines[half:]) + "\n").encode("utf-8")
        return gzip.compress(first) + gzip.compress(second)
    if how == "gzip-no-newline":
        return gzip.compress("\n".join(lines).encode("utf-8"), level)
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
