from __future__ import annotations

from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import heads


@pytest.fixture
def signed_heads(tmp_path, settings):
    """A signing key file and an export file, configured as in production (the key file
    is a path: the settings hold no private key)."""
    key = Ed25519PrivateKey.generate()
    key_file = tmp_path / "head-signing.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    export = tmp_path / "heads.jsonl"
    settings.BOKVAR = {
        **settings.BOKVAR,
        "AUDIT_HEAD_SIGNING_KEY_FILE": str(key_file),
        "AUDIT_HEAD_PUBLIC_KEY": heads.public_key_text(key),
        "AUDIT_HEAD_FILE": str(export),
    }
    return SimpleNamespace(key=key, key_file=key_file, export=export)
