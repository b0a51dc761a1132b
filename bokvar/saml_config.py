"""Bo Kvar as a SAML 2.0 service provider: pysaml2's configuration, built from a few
settings (bokvar/settings.py reads them from the environment; tests build their own).

Kept free of Django models so that the settings module can import it.
"""

from __future__ import annotations

import shutil
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_UNSPECIFIED


def sp_config(*, base_url: str, idp_metadata: str, key_file: str, cert_file: str) -> dict[str, Any]:
    """pysaml2's SP configuration. `idp_metadata` is a URL (fetched by pysaml2) or a local
    file; `key_file`/`cert_file` sign the AuthnRequests and decrypt encrypted assertions.
    Assertions must be signed by a key in the provider's metadata."""
    base = base_url.rstrip("/")
    if idp_metadata.startswith(("https://", "http://")):
        metadata: dict[str, Any] = {"remote": [{"url": idp_metadata}]}
    else:
        metadata = {"local": [idp_metadata]}
    return {
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "entityid": f"{base}/saml2/metadata/",
        # Attributes arrive by their friendly names (uid, mail, givenName, sn, ...).
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "Bo Kvar",
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_UNSPECIFIED],
                "endpoints": {
                    "assertion_consumer_service": [(f"{base}/saml2/acs/", BINDING_HTTP_POST)],
                    "single_logout_service": [(f"{base}/saml2/ls/", BINDING_HTTP_REDIRECT)],
                },
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
            }
        },
        "metadata": metadata,
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
    }
