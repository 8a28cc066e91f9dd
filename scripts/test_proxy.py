#!/usr/bin/env python3
"""An HTTP proxy for zoo's tests, put in front of a registry on 127.0.0.1 (Python stdlib only).

It forwards every request to --upstream as is (the Host header too, so the registry's Location headers
point back at the proxy) and streams bodies both ways in 256 KiB pieces. On the side it
  - counts the body bytes it forwards: uploads (request bodies) and downloads (response bodies), so a test
    can tell how much a resumed transfer really moved;
  - corrupts, when told to, one byte in the middle of every blob download (GET .../blobs/sha256:...) of
    more than 64 KiB (layers; a small config stays intact), so a test can check that a client detects a
    registry that serves wrong bytes;
  - drops, when told to, a connection: the Nth PATCH (an upload chunk) is answered 503 without reaching the
    registry, or the next blob download is cut after N bytes — a network failure at a known point.

Control endpoints (never forwarded):
    GET  /_proxy/stats    {"uploaded": N, "downloaded": N, "blob_downloaded": N, "requests": N}
    POST /_proxy/reset    zero the counters
    POST /_proxy/corrupt  start corrupting blob downloads;  POST /_proxy/honest  stop
    POST /_proxy/fail-patch/N      answer the Nth PATCH from now 503 (its body is read and dropped)
    POST /_proxy/cut-download/N    close the connection of the next blob download after N body bytes
    POST /_proxy/declare-length/KIND/N  answer the next manifest GET (KIND manifest) or blob download of
                                   more than 64 KiB (KIND blob) with "Content-Length: N" (the real body
                                   follows, then the connection is closed): a lying server
    POST /_proxy/pad-manifest/N    append N spaces to the next manifest GET's body (still valid JSON)

Binds 127.0.0.1 on a free port and writes the port to --port-file once it listens; with --owner PID it exits
when that process is gone (so a killed test run leaves no proxy behind).
"""
import argparse
import http.client
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 256 << 10
CORRUPT_ABOVE = 64 << 10
BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")
MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.corrupt = False
        self.fail_patch_at = 0   # the Nth PATCH from now fails; 0: none
        self.patches = 0
        self.cut_download_after = -1
        self.declare_length = {"blob": -1, "manifest": -1}
        self.pad_manifest = 0
        self.reset()

    def reset(self):
        self.uploaded = 0
        self.downloaded = 0
        self.blob_downloaded = 0
        self.requests = 0

    def add(self, **amounts):
        with self.lock:
            for key, value in amounts.items():
                setattr(self, key, getattr(self, key) + value)


def make_handler(upstream, state):
    host, _, port = upstream.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *values):
            pass

        def control(self):
            if self.path == "/_proxy/stats":
                with state.lock:
                    body = json.dumps({"uploaded": state.uploaded, "downloaded": state.downloaded,
                                       "blob_downloaded": state.blob_downloaded, "requests": state.requests}).encode()
            elif self.path == "/_proxy/reset":
                with state.lock:
                    state.reset()
                body = b"{}"
            elif self.path in ("/_proxy/corrupt", "/_proxy/honest"):
                state.corrupt = self.path == "/_proxy/corrupt"
                body = b"{}"
            elif self.path.startswith("/_proxy/fail-patch/"):
                with state.lock:
                    state.fail_patch_at = int(self.path.rsplit("/", 1)[1])
                    state.patches = 0
                body = b"{}"
            elif self.path.startswith("/_proxy/declare-length/"):
                kind, count = self.path.split("/")[3:5]
                with state.lock:
                    state.declare_length[kind] = int(count)
                body = b"{}"
            elif self.path.startswith("/_proxy/pad-manifest/"):
                with state.lock:
                    state.pad_manifest = int(self.path.rsplit("/", 1)[1])
                body = b"{}"
            elif self.path.startswith("/_proxy/cut-download/"):
                with state.lock:
                    state.cut_download_after = int(self.path.rsplit("/", 1)[1])
                body = b"{}"
            else:
                self.send_error(404)
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def forward(self):
            if self.path.startswith("/_proxy/"):
                self.control()
                return
            state.add(requests=1)
            length = int(self.headers.get("Content-Length") or 0)
            if self.command == "PATCH":
                with state.lock:
                    state.patches += 1
                    fail = state.patches == state.fail_patch_at
                if fail:
                    remaining = length
                    while remaining > 0:
                        piece = self.rfile.read(min(CHUNK, remaining))
                        if not piece:
                            break
                        remaining -= len(piece)
                    body = b'{"errors":[{"code":"UNAVAILABLE","message":"connection dropped by the test proxy"}]}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            upstream_connection = http.client.HTTPConnection(host, int(port), timeout=300)
            try:
                upstream_connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        upstream_connection.putheader(name, value)
                upstream_connection.endheaders()
                remaining = length
                while remaining > 0:
                    piece = self.rfile.read(min(CHUNK, remaining))
                    if not piece:
                        raise ConnectionError("client closed the request body early")
                    upstream_connection.send(piece)
                    state.add(uploaded=len(piece))
                    remaining -= len(piece)
                response = upstream_connection.getresponse()
                is_manifest = self.command == "GET" and MANIFEST_PATH.match(self.path) and response.status == 200
                is_download = self.command == "GET" and BLOB_PATH.match(self.path) and response.status in (200, 206)
                declare, pad = -1, 0
                kind = "manifest" if is_manifest else "blob"
                declared_length = response.getheader("Content-Length")
                if is_manifest or (is_download and declared_length and int(declared_length) > CORRUPT_ABOVE):
                    with state.lock:
                        declare, state.declare_length[kind] = state.declare_length[kind], -1
                if is_manifest:
                    with state.lock:
                        pad, state.pad_manifest = state.pad_manifest, 0
                self.send_response(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() == "content-length" and declare >= 0:
                        value = str(declare)
                    elif name.lower() == "content-length" and pad:
                        value = str(int(value) + pad)
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                if declare >= 0:
                    self.close_connection = True
                body_length = response.getheader("Content-Length")
                if body_length is None and self.command != "HEAD" and response.status not in (204, 304):
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    return
                is_blob = self.command == "GET" and BLOB_PATH.match(self.path) and response.status in (200, 206)
                middle = int(body_length) // 2 if (is_blob and body_length and int(body_length) > CORRUPT_ABOVE) else -1
                cut = -1
                if is_blob and body_length and int(body_length) > CORRUPT_ABOVE:
                    with state.lock:
                        cut, state.cut_download_after = state.cut_download_after, -1
                sent = 0
                while True:
                    piece = response.read(CHUNK)
                    if not piece:
                        break
                    if state.corrupt and 0 <= middle - sent < len(piece):
                        index = middle - sent
                        piece = piece[:index] + bytes([piece[index] ^ 0xFF]) + piece[index + 1:]
                    if 0 <= cut < sent + len(piece):
                        piece = piece[:cut - sent]
                        self.wfile.write(piece)
                        state.add(downloaded=len(piece), blob_downloaded=len(piece))
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(piece)
                    sent += len(piece)
                    state.add(downloaded=len(piece), blob_downloaded=len(piece) if is_blob else 0)
                if pad:
                    self.wfile.write(b" " * pad)
                if declare >= 0:
                    self.connection.shutdown(2)
            except (ConnectionError, BrokenPipeError, OSError):
                self.close_connection = True
            finally:
                upstream_connection.close()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the registry")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--owner", type=int, help="exit when this process is gone")
    args = parser.parse_args()
    if args.owner:
        def watch():
            while True:
                try:
                    os.kill(args.owner, 0)
                except ProcessLookupError:
                    os._exit(0)
                except PermissionError:
                    pass
                time.sleep(1)
        threading.Thread(target=watch, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args.upstream, State()))
    server.daemon_threads = True
    temp = args.port_file + ".tmp"
    with open(temp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
