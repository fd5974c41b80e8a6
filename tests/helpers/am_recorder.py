#!/usr/bin/env python3
"""am_recorder PORT DIR UPSTREAM: a recorder in front of and behind Alertmanager for tests.

POST /api/v2/alerts: each alert of the body is appended to DIR/posts.jsonl
(one JSON object a line, with "at", the time received), then the body is
forwarded to UPSTREAM (Alertmanager's base URL) and its answer returned;
502 when Alertmanager does not answer. POST /webhook: Alertmanager's webhook
notification, each of its alerts appended to DIR/webhook.jsonl with the
notification's status. Prints "ready" once listening on 127.0.0.1:PORT.
"""
import json
import sys
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, DIR, UPSTREAM = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def append(name, records):
    with open(f"{DIR}/{name}", "a", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, sort_keys=True) + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/webhook":
            note = json.loads(body)
            append("webhook.jsonl", [dict(a, notification=note["status"], at=time.time())
                                     for a in note["alerts"]])
            return self.answer(200)
        if self.path != "/api/v2/alerts":
            return self.answer(404)
        req = urllib.request.Request(UPSTREAM + self.path, data=body,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                status, reply = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, reply = e.code, e.read()
        except OSError:
            status, reply = 502, b"alertmanager down"
        append("posts.jsonl", [dict(a, at=time.time(), upstream=status) for a in json.loads(body)])
        self.answer(status, reply)


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
