"""The SAML 2.0 sign-in views (bokvar/sso.py): kept apart from `signin` because
djangosaml2's views import pysaml2's signature module, which builds an XML schema
validator at import (about 0.85 s of CPU). The URLconf names these through
`bokvar.lazy_views.lazy_view`, so only a process that serves a SAML request imports
them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from djangosaml2 import views as saml_views

from . import sso
from .models import User
from .signin import SAMLOnly


class SAMLStartView(SAMLOnly, saml_views.LoginView):  # type: ignore[misc]  # djangosaml2 ships no types
    pass


class SAMLMetadataView(SAMLOnly, saml_views.MetadataView):  # type: ignore[misc]  # as above
    pass


# The provider's answer is a cross-site POST: the signed assertion, not a CSRF token,
# proves where it came from (djangosaml2's own view is exempt the same way).
@method_decorator(csrf_exempt, name="dispatch")
class SAMLAssertionConsumerView(SAMLOnly, saml_views.AssertionConsumerServiceView):  # type: ignore[misc]  # as above
    """The provider's signed assertion, checked by pysaml2; the backend maps the roles,
    and the sign-in completes here or goes on to the local second factor."""

    next_url = ""

    def authenticate_user(
        self,
        request: HttpRequest,
        session_info: dict[str, Any],
        attribute_mapping: Any,
        create_unknown_user: Any,
        assertion_info: dict[str, Any],
    ) -> User:
        user = authenticate(
            request=request, session_info=session_info, assertion_info=assertion_info
        )
        if not isinstance(user, User):
            raise PermissionDenied("no mapped role")
        assurance = getattr(user, "bokvar_assurance", None) or sso.Assurance("saml")
        self.next_url = sso.finish_sign_in(
            request, user, assurance, sso.safe_next(request, request.POST.get("RelayState"))
        )
        return user

    def custom_redirect(self, user: User, relay_state: str, session_info: dict[str, Any]) -> str:
        return self.next_url
