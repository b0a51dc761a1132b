"""A real SAML 2.0 identity provider for the single sign-on tests: pysaml2's `Server`
behind a small WSGI app, served over HTTP on 127.0.0.1 from a thread of the test process.

It takes Bo Kvar's AuthnRequest (HTTP-Redirect), asks for a username and password on a
form of its own, and answers with an assertion it signs with its own key (xmlsec1),
posted back (HTTP-POST) with the person's attributes and the AuthnContextClassRef
configured for them.
"""

from __future__ import annotations

import threading
from html import escape
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.server import Server


def idp_config(
    *, base: str, key_file: str, cert_file: str, sp_metadata_file: str, xmlsec: str
) -> dict[str, Any]:
    return {
        "entityid": f"{base}/metadata",
        "xmlsec_binary": xmlsec,
        "service": {
            "idp": {
                "name": "Test identity provider",
                "endpoints": {
                    "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                    }
                },
            }
        },
        "key_file": key_file,
        "cert_file": cert_file,
        "metadata": {"local": [sp_metadata_file]},
    }


class IdentityProvider:
    """`users`: {username: {"password", "attributes": {name: [values]}, "class_ref"}}."""

    def __init__(self, config: dict[str, Any], users: dict[str, dict[str, Any]]) -> None:
        conf = IdPConfig()
        conf.load(config)
        self.server = Server(config=conf)
        self.users = users

    def __call__(self, wsgi_env: dict[str, Any], start_response: Any) -> list[bytes]:
        path = wsgi_env.get("PATH_INFO", "")
        if path == "/sso/redirect" and wsgi_env["REQUEST_METHOD"] == "GET":
            query = {k: v[0] for k, v in parse_qs(wsgi_env.get("QUERY_STRING", "")).items()}
            # Parsed (and so checked) before the form is shown.
            self.server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
            return self._page(start_response, "200 OK", self._form(query))
        if path == "/sso/login" and wsgi_env["REQUEST_METHOD"] == "POST":
            size = int(wsgi_env.get("CONTENT_LENGTH") or 0)
            form = {
                k: v[0] for k, v in parse_qs(wsgi_env["wsgi.input"].read(size).decode()).items()
            }
            user = self.users.get(form.get("username", ""))
            if user is None or user["password"] != form.get("password"):
                return self._page(start_response, "401 Unauthorized", self._form(form))
            return self._page(start_response, "200 OK", self._answer(form, user))
        return self._page(start_response, "404 Not Found", "not found")

    def _form(self, fields: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{escape(fields.get(name, ""))}">'
            for name in ("SAMLRequest", "RelayState")
        )
        return (
            f'<form method="post" action="/sso/login">{hidden}'
            '<input name="username"><input name="password" type="password">'
            "<button>Sign in</button></form>"
        )

    def _answer(self, form: dict[str, str], user: dict[str, Any]) -> str:
        request = self.server.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
        args = self.server.response_args(request.message, [BINDING_HTTP_POST])
        response = self.server.create_authn_response(
            identity=user["attributes"],
            userid=form["username"],
            authn={"class_ref": user["class_ref"], "authn_auth": self.server.config.entityid},
            sign_assertion=True,
            **args,
        )
        http = self.server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            args["destination"],
            form.get("RelayState", ""),
            response=True,
        )
        return http["data"]

    @staticmethod
    def _page(start_response: Any, status: str, body: str) -> list[bytes]:
        start_response(status, [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # the stdlib's signature
        pass


def serve(app: IdentityProvider, port: int) -> WSGIServer:
    server = make_server("127.0.0.1", port, app, server_class=_Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
