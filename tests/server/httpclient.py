"""A small HTTPS client for the server tests: credentials from the written kubeconfig."""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
from urllib.parse import urlparse

import yaml


class Http:
    def __init__(self, url: str, kubeconfig: str, *, cert: bool = True, token: str | None = None,
                 cert_pem: bytes | None = None, key_pem: bytes | None = None):
        cfg = yaml.safe_load(open(kubeconfig))
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.tmp = tempfile.mkdtemp(prefix="ktape-http-")
        ca = base64.b64decode(cfg["clusters"][0]["cluster"]["certificate-authority-data"])
        self.ctx = ssl.create_default_context(cadata=ca.decode())
        user = cfg["users"][0]["user"]
        if cert_pem is None and cert and "client-certificate-data" in user:
            cert_pem = base64.b64decode(user["client-certificate-data"])
            key_pem = base64.b64decode(user["client-key-data"])
        if cert_pem is not None:
            c, k = os.path.join(self.tmp, "c.pem"), os.path.join(self.tmp, "k.pem")
            open(c, "wb").write(cert_pem)
            open(k, "wb").write(key_pem)
            self.ctx.load_cert_chain(c, k)
        self.token = token
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        return self.conn

    def request(self, method: str, path: str, body=None, headers: dict | None = None, raw: bytes | None = None):
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        conn = self._conn()
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
        except (ConnectionError, http.client.HTTPException):
            self.conn = None
            raise
        try:
            doc = json.loads(payload) if payload else None
        except ValueError:
            doc = payload.decode(errors="replace")
        return resp.status, doc, resp

    def stream(self, path: str, headers: dict | None = None):
        """Open a watch; yields decoded events line by line."""
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        conn.request("GET", path, headers=h)
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()

        def events():
            try:
                while True:
                    line = resp.readline()
                    if not line:
                        return
                    yield json.loads(line)
            finally:
                conn.close()

        return events()
