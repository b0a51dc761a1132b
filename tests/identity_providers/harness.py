"""Starting the real identity providers for the single sign-on tests, and walking a
sign-in through them the way a browser does: Bo Kvar (the Django test client) sends the
browser to the provider, the provider (real HTTP, `requests`) asks for a password and
sends it back with a code (OIDC) or a signed assertion (SAML), and Bo Kvar's backend
talks to the provider itself (OIDC: token, JWKS and userinfo endpoints over HTTP).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.live_http import ROOT, free_port

APP = "http://testserver"


def write_key_and_certificate(folder: Path, name: str) -> tuple[Path, Path, str]:
    """A new RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_text(key_pem)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file, key_pem


# --- OIDC ------------------------------------------------------------------------------


@dataclass
class OIDCProvider:
    base: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]

    def settings(self) -> dict[str, Any]:
        return {
            "OIDC_RP_CLIENT_ID": self.client_id,
            "OIDC_RP_CLIENT_SECRET": self.client_secret,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.base}/o/authorize/",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.base}/o/token/",
            "OIDC_OP_USER_ENDPOINT": f"{self.base}/o/userinfo/",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.base}/o/.well-known/jwks.json",
            "OIDC_OP_ISSUER": f"{self.base}/o",
        }


def start_oidc_provider(
    folder: Path, users: dict[str, dict[str, Any]], *, app: str = APP
) -> OIDCProvider:
    """`app`: where Bo Kvar answers (the test client's, or a live server's address)."""
    _key_file, _cert_file, key_pem = write_key_and_certificate(folder, "oidc-signing")
    port = free_port()
    client = {
        "client_id": "bokvar-test",
        "client_secret": "bokvar-test-secret-" + os.urandom(8).hex(),
        "redirect_uri": f"{app}/oidc/callback/",
    }
    config = folder / "oidc-provider.json"
    config.write_text(
        json.dumps(
            {"port": port, "folder": str(folder), "key": key_pem, "client": client, "users": users}
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    log = open(folder / "oidc-provider.log", "wb")  # noqa: SIM115  # open while it runs
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.identity_providers.oidc_provider", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != b"ready":
        process.kill()
        raise RuntimeError(
            "the OIDC provider did not start:\n"
            + (folder / "oidc-provider.log").read_text()[-3000:]
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/o/.well-known/jwks.json", timeout=5).raise_for_status()
            break
        except requests.RequestException:
            time.sleep(0.2)
    return OIDCProvider(base, client["client_id"], client["client_secret"], process)


# --- Walking a sign-in -----------------------------------------------------------------


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = values.get("action", "")
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")


def parse_form(html: str, url: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(html)
    return urljoin(url, parser.action), parser.fields


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def through_provider(url: str, username: str, password: str) -> tuple[str, str, dict[str, str]]:
    """Follow `url` at the provider, sign in on its form, and return how it sends the
    browser back to Bo Kvar: ("GET", url, {}) for a redirect (OIDC) or ("POST", url,
    fields) for an auto-posting form (SAML)."""
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False, timeout=30)
    signed_in = False
    for _ in range(10):
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(APP):
                return "GET", url, {}
            response = browser.get(url, allow_redirects=False, timeout=30)
            continue
        assert response.status_code == 200, (response.status_code, response.text[:1000])
        action, fields = parse_form(response.text, url)
        if action.startswith(APP):
            return "POST", action, fields
        assert not signed_in, "the provider asked for the password twice"
        fields.update(username=username, password=password)
        response = browser.post(action, data=fields, allow_redirects=False, timeout=30)
        url, signed_in = action, True
    raise AssertionError("too many redirects at the provider")


def sign_in(client: Any, start: str, username: str, password: str) -> Any:
    """The whole sign-in from Bo Kvar's `start` URL; returns Bo Kvar's last answer."""
    response = client.get(start)
    assert response.status_code == 302, response.status_code
    method, url, fields = through_provider(response["Location"], username, password)
    if method == "GET":
        return client.get(local_path(url))
    return client.post(local_path(url), fields)


# --- SAML ------------------------------------------------------------------------------


@dataclass
class SAMLProvider:
    base: str
    sp_config: dict[str, Any]
    server: Any


def start_saml_idp(folder: Path, users: dict[str, dict[str, Any]]) -> SAMLProvider:
    from saml2.config import IdPConfig, SPConfig
    from saml2.metadata import entity_descriptor

    from bokvar.saml_config import sp_config

    from .saml_idp import IdentityProvider, idp_config, serve

    sp_key, sp_cert, _ = write_key_and_certificate(folder, "saml-sp")
    idp_key, idp_cert, _ = write_key_and_certificate(folder, "saml-idp")
    idp_metadata = folder / "idp-metadata.xml"
    sp_metadata = folder / "sp-metadata.xml"
    config = sp_config(
        base_url=APP, idp_metadata=str(idp_metadata), key_file=str(sp_key), cert_file=str(sp_cert)
    )
    sp_only = SPConfig()
    sp_only.load({**config, "metadata": {}})
    sp_metadata.write_text(str(entity_descriptor(sp_only)))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    idp = idp_config(
        base=base,
        key_file=str(idp_key),
        cert_file=str(idp_cert),
        sp_metadata_file=str(sp_metadata),
        xmlsec=config["xmlsec_binary"],
    )
    idp_only = IdPConfig()
    idp_only.load({**idp, "metadata": {}})
    idp_metadata.write_text(str(entity_descriptor(idp_only)))
    server = serve(IdentityProvider(idp, users), port)
    return SAMLProvider(base, config, server)
