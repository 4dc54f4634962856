"""A scripted office server on 127.0.0.1 for upload tests: it keeps events by id, as the protocol says,
and can fail in the ways a real network and server do (``office.script``)."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeOffice:
    """``script`` is a list of what to do with the next requests: an HTTP status (500, 401, 429),
    "drop" (commit, then close the connection without an answer), "slow" (commit, then wait
    ``slow_seconds``), "garbage" (200 with a body that is not JSON).  Then it behaves."""

    def __init__(self, port=None, token="test-token"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.token = token
        self.events = {}          # id -> event, exactly once
        self.batches = []         # the ids of each request's events, in order
        self.script = []
        self.retry_after = "7"
        self.slow_seconds = 2.0
        self._lock = threading.Lock()
        self.server = None

    def start(self):
        office = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with office._lock:
                    action = office.script.pop(0) if office.script else None
                if isinstance(action, int):
                    self.send_response(action)
                    if action == 429:
                        self.send_header("Retry-After", office.retry_after)
                    self.end_headers()
                    return
                if self.headers.get("Authorization") != f"Bearer {office.token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                answer = office.ingest(json.loads(body))
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action == "slow":
                    time.sleep(office.slow_seconds)
                data = b"<html>proxy error</html>" if action == "garbage" else json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def ingest(self, payload):
        accepted, duplicates, rejected = [], [], []
        with self._lock:
            self.batches.append([e["id"] for e in payload["events"]])
            for event in payload["events"]:
                if event.get("data", {}).get("bad"):
                    rejected.append({"id": event["id"], "error": "data.bad is not allowed"})
                elif event["id"] in self.events:
                    duplicates.append(event["id"])
                else:
                    self.events[event["id"]] = event
                    accepted.append(event["id"])
        return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
