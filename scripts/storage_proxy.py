#!/usr/bin/env python3
"""A registry front with a separate "storage host", for zoo's credential-scoping tests (Python stdlib only).

Two listeners on 127.0.0.1, each on its own free port, both forwarding to --upstream (a real registry):
  - the front: forwards every request as is (Host header too), except that a GET or HEAD of a blob
    (/v2/.../blobs/sha256:...) is answered "307 Temporary Redirect" to the same path on the storage host,
    and a Location header of an upload session (/blobs/uploads/) is rewritten to point at the storage host:
    what registries backed by S3 or a CDN do;
  - the storage host: another origin (other port). It forwards with its own credentials (--credentials
    USER:PASSWORD, standing for a storage service's signed URLs), whatever Authorization it was sent.
Both record every request: listener, method, path and the Authorization header received (null when none).

Control endpoints on the front (never forwarded):
    GET  /_record/log          [{"listener": "front"|"storage", "method": ..., "path": ..., "authorization": ...}]
    POST /_record/reset        clear the log
    POST /_record/manifest-redirect   body: a URL; the next manifest GET is answered "302 Found" to it

Writes "FRONT_PORT STORAGE_PORT" to --port-file once both listen; with --owner PID it exits when that
process is gone.
"""
import argparse
import base64
import http.client
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.manifest_redirect = None
        self.storage_port = 0


def make_handler(listener, upstream, state, storage_authorization):
    host, _, port = upstream.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *values):
            pass

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def control(self, body):
            if self.path == "/_record/log":
                with state.lock:
                    self.reply(200, json.dumps(state.log).encode(), [("Content-Type", "application/json")])
            elif self.path == "/_record/reset":
                with state.lock:
                    state.log.clear()
                self.reply(200, b"{}")
            elif self.path == "/_record/manifest-redirect":
                with state.lock:
                    state.manifest_redirect = body.decode()
                self.reply(200, b"{}")
            else:
                self.reply(404)

        def storage_url(self, path):
            return "http://127.0.0.1:%d%s" % (state.storage_port, path)

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if listener == "front" and self.path.startswith("/_record/"):
                self.control(body)
                return
            with state.lock:
                state.log.append({"listener": listener, "method": self.command, "path": self.path,
                                  "authorization": self.headers.get("Authorization")})
            if listener == "front":
                if self.command in ("GET", "HEAD") and BLOB_PATH.match(self.path):
                    self.reply(307, headers=[("Location", self.storage_url(self.path))])
                    return
                if self.command == "GET" and MANIFEST_PATH.match(self.path):
                    with state.lock:
                        target, state.manifest_redirect = state.manifest_redirect, None
                    if target:
                        self.reply(302, headers=[("Location", target)])
                        return
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            try:
                connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                        continue
                    if listener == "storage" and name.lower() == "authorization":
                        continue
                    connection.putheader(name, value)
                if listener == "storage" and storage_authorization:
                    connection.putheader("Authorization", storage_authorization)
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders()
                if body:
                    connection.send(body)
                response = connection.getresponse()
                answer = response.read()
                self.send_response(response.status, response.reason)
                for name, value in response.getheaders():
                    lowered = name.lower()
                    if lowered in HOP_BY_HOP or lowered == "content-length":
                        continue
                    if lowered == "location" and listener == "front" and "/blobs/uploads/" in value:
                        path = re.sub(r"^https?://[^/]+", "", value)
                        value = self.storage_url(path)
                    self.send_header(name, value)
                if self.command == "HEAD":
                    self.send_header("Content-Length", response.getheader("Content-Length") or "0")
                    self.end_headers()
                else:
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
            finally:
                connection.close()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the registry")
    parser.add_argument("--credentials", help="USER:PASSWORD the storage host forwards with (basic)")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--owner", type=int)
    arguments = parser.parse_args()
    state = State()
    authorization = None
    if arguments.credentials:
        authorization = "Basic " + base64.b64encode(arguments.credentials.encode()).decode()
    storage = ThreadingHTTPServer(("127.0.0.1", 0), make_handler("storage", arguments.upstream, state, authorization))
    front = ThreadingHTTPServer(("127.0.0.1", 0), make_handler("front", arguments.upstream, state, None))
    state.storage_port = storage.server_address[1]
    for server in (storage, front):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    temporary = arguments.port_file + ".tmp"
    with open(temporary, "w") as handle:
        handle.write("%d %d" % (front.server_address[1], storage.server_address[1]))
    os.rename(temporary, arguments.port_file)
    while True:
        time.sleep(0.5)
        if arguments.owner:
            try:
                os.kill(arguments.owner, 0)
            except OSError:
                return


if __name__ == "__main__":
    main()
