#!/usr/bin/env python3
"""A minimal OCI/Docker token server for zoo's tests (Python stdlib + the openssl CLI).

The registry answers an unauthenticated request with
    WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="...",scope="repository:NAME:pull"
and the client then asks GET /token?service=...&scope=... here, with HTTP basic credentials. This server
checks them against --credentials USER:PASSWORD and returns {"token": JWT, "access_token": JWT, ...}: an
RS256 JWT signed with --key, carrying the certificate (--cert) in its x5c header, which the registry
verifies against the same certificate (its `rootcertbundle`). Wrong credentials get 401; no credentials
get a token with no access (anonymous), as public token servers do.

Binds 127.0.0.1 on a free port and writes the port to --port-file once it listens.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def certificate_der(path: str) -> bytes:
    text = open(path, encoding="ascii").read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


def sign(key: str, message: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as f:
        f.write(message)
        f.flush()
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, f.name],
                              check=True, capture_output=True).stdout


def make_handler(args, cert_der):
    user, _, password = args.credentials.partition(":")
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *values):
            # Never log the Authorization header; the request line has no secrets.
            sys.stderr.write("token: " + (fmt % values) + "\n")

        def do_GET(self):
            url = urlparse(self.path)
            if url.path != "/token":
                self.send_error(404)
                return
            query = parse_qs(url.query)
            header = self.headers.get("Authorization")
            if header is None:
                subject, access = "", []
            elif header == expected:
                subject = user
                access = []
                for scope in query.get("scope", []):
                    kind, _, rest = scope.partition(":")
                    name, _, actions = rest.rpartition(":")
                    access.append({"type": kind, "name": name, "actions": actions.split(",")})
            else:
                body = json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}).encode()
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            now = int(time.time())
            head = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(cert_der).decode()]}
            claims = {"iss": args.issuer, "sub": subject, "aud": query.get("service", [args.service])[0],
                      "exp": now + 300, "nbf": now - 10, "iat": now, "jti": b64url(os.urandom(12)),
                      "access": access}
            signing_input = (b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
            token = signing_input.decode() + "." + b64url(sign(args.key, signing_input))
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--credentials", required=True, help="USER:PASSWORD")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args, certificate_der(args.cert)))
    temp = args.port_file + ".tmp"
    with open(temp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(temp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
