#!/usr/bin/env python3
"""A light Log Analytics sink for the benchmark: accepts every Data
Collector API post (POST /api/logs) with 200 and counts requests, bytes and
rows, so that the receiving end costs little next to the pipeline. It checks
nothing a test relies on: tests/standins/la_standin.py is the strict peer.

Rows are counted by the member every c42-transform row starts with; inside a
JSON string that text would have its quotes escaped, so it cannot be miscounted.
GET /stats answers the counters as JSON, with the time of the last
accepted post (last_post_at, seconds since the epoch): the benchmark's
runs end with a long poll on the empty queue, and this says when the
delivering was done.

    bench/la_sink.py --port-file FILE
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROW_START = b'{"Bucket_Name":'


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real service allows

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        ok = self.path.startswith("/api/logs") and self.headers.get("Authorization", "").startswith(
            "SharedKey ")
        with self.server.lock:
            counts = self.server.counts
            counts["requests"] += 1
            if ok:
                counts["bytes"] += len(body)
                counts["rows"] += body.count(ROW_START)
                counts["last_post_at"] = time.time()
            else:
                counts["refused"] += 1
        self.answer(200 if ok else 403, b"")

    def do_GET(self):
        with self.server.lock:
            data = json.dumps(self.server.counts).encode()
        self.answer(200, data)

    def answer(self, status, data):
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port-file", required=True, help="write the bound port here once listening")
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    server.daemon_threads = True
    server.lock = threading.Lock()
    server.counts = {"requests": 0, "bytes": 0, "rows": 0, "refused": 0, "last_post_at": 0.0}
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
