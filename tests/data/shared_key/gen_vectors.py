#!/usr/bin/env python3
"""Regenerates vectors.json for tests/unit/shared_key_test.cpp.

Independent of the C++ code: Python's hmac/hashlib/base64 only, following
the documented recipe (learn.microsoft.com/azure/azure-monitor/logs/
data-collector-api, "Authorization"):
  StringToSign = "POST\\n" + Content-Length + "\\n" + "application/json" + "\\n"
                 + "x-ms-date:" + rfc1123date + "\\n" + "/api/logs"
  Signature = Base64(HMAC-SHA256(Base64Decode(key), UTF8(StringToSign)))
The keys are made-up test keys, not secrets.

Run: python3 gen_vectors.py > vectors.json
"""
import base64
import email.utils
import hashlib
import hmac
import json

# 64 key bytes like a real workspace key (88 base64 characters with "==").
KEY_A = base64.b64encode(bytes(range(64))).decode()
KEY_B = base64.b64encode(hashlib.sha512(b"c42-ship test key B").digest()).decode()
# A 32-byte key: 44 characters with a single "=".
KEY_C = base64.b64encode(hashlib.sha256(b"c42-ship test key C").digest()).decode()
WORKSPACE = "0b8fe4c2-5d3a-4e1f-9a7b-6c2d1e0f3a4b"


def string_to_sign(content_length, date):
    return ("POST\n" + str(content_length) + "\napplication/json\n" +
            "x-ms-date:" + date + "\n/api/logs")


def sign(key_b64, sts):
    mac = hmac.new(base64.b64decode(key_b64, validate=True), sts.encode("utf-8"),
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def http_date(epoch):
    return email.utils.formatdate(epoch, usegmt=True)


def body_case(name, key, epoch, body):
    date = http_date(epoch)
    length = len(body.encode("utf-8"))  # bytes, not characters
    sts = string_to_sign(length, date)
    sig = sign(key, sts)
    return {"name": name, "shared_key": key, "workspace_id": WORKSPACE,
            "epoch_seconds": epoch, "x_ms_date": date, "body": body,
            "content_length": length, "body_chars": len(body),
            "string_to_sign": sts, "signature": sig,
            "authorization": "SharedKey " + WORKSPACE + ":" + sig}


cases = []
# The docs' own example string to sign (no body: only the length is signed).
doc_sts = string_to_sign(1024, "Mon, 04 Apr 2016 08:00:00 GMT")
cases.append({"name": "documented_example", "shared_key": KEY_A,
              "workspace_id": WORKSPACE, "x_ms_date": "Mon, 04 Apr 2016 08:00:00 GMT",
              "content_length": 1024, "string_to_sign": doc_sts,
              "signature": sign(KEY_A, doc_sts)})
cases.append(body_case("empty_array", KEY_A, 1440938160, "[]"))
cases.append(body_case("multibyte_utf8", KEY_B, 1700000000,
                       '[{"user":"Zoë","city":"Zürich","note":"日本語","lock":"\U0001F512"}]'))
cases.append(body_case("two_records", KEY_C, 1577836799,
                       '[{"eventId":"e1","timestamp":"2019-12-31T23:59:59Z","n":1},'
                       '{"eventId":"e2","timestamp":"2019-12-31T23:59:59Z","n":2}]'))
print(json.dumps({"cases": cases}, ensure_ascii=False, indent=2))
