"""A local stand-in for Azure Key Vault and the App Service managed-identity endpoint.

The real Key Vault SDK and azure-identity talk to it unmodified: the vault speaks TLS (the SDK
refuses bearer tokens over plain http) with a self-signed certificate for 127.0.0.1, answers the
SDK's first unauthenticated call with a bearer challenge, and accepts only tokens its identity
endpoint issued. Point DefaultAzureCredential at it with IDENTITY_ENDPOINT and IDENTITY_HEADER.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.http_base import LocalHandler, LocalServer

_SECRET_PATH = re.compile(r"/secrets/(?P<name>[0-9A-Za-z-]+)(?:/(?P<version>[0-9a-f]*))?/?")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that is also its own trust anchor."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "vault-cert.pem", directory / "vault-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class VaultState:
    secrets: dict[str, list[str]]
    tokens: set[str]
    identity_header: str
    reads: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


class _VaultHandler(LocalHandler):
    server: _StateServer
    methods = frozenset({"GET", "PUT"})

    def respond(self) -> None:
        state = self.server.state
        body = self.read_body()
        auth = self.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip()
        if token not in state.tokens:
            _, port = self.server.server_address[:2]
            # The SDK checks that the vault's host ends with ".<resource host>"; "0.0.1:<port>" does for 127.0.0.1.
            challenge = f'Bearer authorization="https://login.microsoftonline.com/standin-tenant", resource="https://0.0.1:{port}"'
            self._send(401, {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer token."}}, challenge)
            return
        match = _SECRET_PATH.fullmatch(urlsplit(self.path).path)
        if not match:
            self._send(404, {"error": {"code": "NotFound", "message": "No such operation."}})
            return
        name = match.group("name")
        with state.lock:
            if self.command == "PUT":
                state.secrets.setdefault(name, []).append(json.loads(body)["value"])
            versions = state.secrets.get(name)
            if self.command == "GET":
                state.reads += 1
        if not versions:
            self._send(
                404, {"error": {"code": "SecretNotFound", "message": f"A secret with (name/id) {name} was not found in this key vault."}}
            )
            return
        host, port = self.server.socket.getsockname()[:2]
        version = f"{len(versions):032x}"
        self._send(
            200,
            {
                "value": versions[-1],
                "id": f"https://{host}:{port}/secrets/{name}/{version}",
                "attributes": {"enabled": True, "created": int(time.time()), "updated": int(time.time()), "recoveryLevel": "Recoverable"},
            },
        )

    def _send(self, status: int, data: object, challenge: str | None = None) -> None:
        headers = [("Content-Type", "application/json; charset=utf-8")]
        if challenge:
            headers.append(("WWW-Authenticate", challenge))
        self.send(status, headers, json.dumps(data).encode())


class _IdentityHandler(LocalHandler):
    server: _StateServer
    methods = frozenset({"GET"})

    def respond(self) -> None:
        state = self.server.state
        query = parse_qs(urlsplit(self.path).query)
        if self.headers.get("X-IDENTITY-HEADER") != state.identity_header or not query.get("resource"):
            self.send(400, [("Content-Type", "application/json")], json.dumps({"error": "invalid_request"}).encode())
        else:
            token = secrets.token_urlsafe(24)
            with state.lock:
                state.tokens.add(token)
            payload = {
                "access_token": token,
                "expires_on": str(int(time.time()) + 3600),
                "resource": query["resource"][0],
                "token_type": "Bearer",
            }
            self.send(200, [("Content-Type", "application/json")], json.dumps(payload).encode())


class _StateServer(LocalServer):
    def __init__(self, handler: type[LocalHandler], state: VaultState) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state


class KeyVaultStandIn:
    def __init__(self, directory: Path) -> None:
        self.cert_path, key_path = make_certificate(directory)
        self.state = VaultState(secrets={}, tokens=set(), identity_header=secrets.token_hex(16))
        self._vault = _StateServer(_VaultHandler, self.state)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self._vault.socket = context.wrap_socket(self._vault.socket, server_side=True)
        self._identity = _StateServer(_IdentityHandler, self.state)

    @property
    def vault_url(self) -> str:
        return f"https://127.0.0.1:{self._vault.server_address[1]}"

    @property
    def identity_env(self) -> dict[str, str]:
        """Environment that makes azure-identity's managed identity credential use this stand-in."""
        return {
            "IDENTITY_ENDPOINT": f"http://127.0.0.1:{self._identity.server_address[1]}/msi/token",
            "IDENTITY_HEADER": self.state.identity_header,
        }

    def set_secret(self, name: str, value: str) -> None:
        with self.state.lock:
            self.state.secrets.setdefault(name, []).append(value)

    def start(self) -> KeyVaultStandIn:
        for server in (self._vault, self._identity):
            server.start()
        return self

    def stop(self) -> None:
        for server in (self._vault, self._identity):
            server.stop()
