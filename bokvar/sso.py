"""Single sign-on through OpenID Connect and SAML 2.0 (issue 21, point 2).

The identity provider says who someone is and, in its claims (OIDC) or attributes (SAML),
which groups they belong to; `SSO_ROLE_MAP` turns groups into Bo Kvar roles in named
units. The mapping runs at every sign-in, so a role the provider no longer asserts is
removed, and each change is a history row of the membership (actor: the system, reason:
single sign-on), the trail `audit` reads. Nobody gets an account, or signs in, without at
least one mapped role.

The provider also says how the person signed in: OIDC's `acr` (and `amr`), SAML's
AuthnContextClassRef. The assurance is kept on the session (`ASSURANCE_KEY`). When the
class is one of `SSO_SECOND_FACTOR_ACR` (e.g. the Swedish LoA3, which requires two
factors) the provider's second factor counts and the local code step is skipped: the
session is verified by the user's `IDENTITY_PROVIDER_DEVICE`, a django-otp device that can
verify no code, so `bokvar.middleware.RequireSecondFactor` accepts it. Otherwise anyone
holding a role that sees a person still gives Bo Kvar's own second factor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_static.models import StaticDevice
from djangosaml2.backends import Saml2Backend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from . import second_factor
from .conf import setting
from .history import attribute, system_user
from .models import Membership, Role, Unit, User
from .roles import NO_PERSON
from .services import add_membership, remove_membership

logger = logging.getLogger(__name__)

ASSURANCE_KEY = second_factor.ASSURANCE_KEY
IDENTITY_PROVIDER_DEVICE = second_factor.IDENTITY_PROVIDER_DEVICE


# --- Configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRule:
    """One line of the role map: whoever has `value` in claim/attribute `claim` holds
    `role` in the unit `unit` of the district with code `district`."""

    claim: str
    value: str
    role: str
    district: str
    unit: str
    lead: bool = False


def parse_role_map(text: str) -> list[RoleRule]:
    """The rules of `SSO_ROLE_MAP` (a JSON list of objects); a wrong map stops start-up
    rather than giving anyone a role nobody meant."""
    if not text.strip():
        return []
    try:
        items = json.loads(text)
        rules = [
            RoleRule(
                claim=str(item["claim"]),
                value=str(item["value"]),
                role=str(item["role"]),
                district=str(item["district"]),
                unit=str(item["unit"]),
                lead=bool(item.get("lead", False)),
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError) as error:
        raise ImproperlyConfigured(
            f"BOKVAR_SSO_ROLE_MAP is not a valid role map: {error}"
        ) from error
    unknown = sorted({rule.role for rule in rules} - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(f"BOKVAR_SSO_ROLE_MAP names unknown roles: {unknown}")
    return rules


def role_rules() -> list[RoleRule]:
    return parse_role_map(setting("SSO_ROLE_MAP"))


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def saml_enabled() -> bool:
    return bool(getattr(settings, "SAML_CONFIG", None))


def local_passwords() -> bool:
    return bool(setting("LOCAL_PASSWORDS"))


# --- Claims to memberships -------------------------------------------------------------


def claim_values(claims: Mapping[str, Any], name: str) -> set[str]:
    """A claim or attribute as a set of strings: OIDC gives a string or a list, SAML
    always a list."""
    value = claims.get(name)
    if value is None:
        return set()
    if isinstance(value, str | int):
        return {str(value)}
    return {str(item) for item in value}


def mapped_memberships(claims: Mapping[str, Any]) -> dict[tuple[int, str], bool]:
    """{(unit id, role): is lead} for every rule the claims match, in one query."""
    matched = [rule for rule in role_rules() if rule.value in claim_values(claims, rule.claim)]
    if not matched:
        return {}
    where = Q()
    for rule in matched:
        where |= Q(district__code=rule.district, name=rule.unit)
    units = {
        (code, name): pk
        for pk, code, name in Unit.objects.filter(where, is_active=True).values_list(
            "pk", "district__code", "name"
        )
    }
    wanted: dict[tuple[int, str], bool] = {}
    for rule in matched:
        unit_id = units.get((rule.district, rule.unit))
        if unit_id is None:
            # A configuration error, not the person's: said once per sign-in, without names.
            logger.warning("SSO role map names a unit that does not exist: %s", rule.district)
            continue
        wanted[(unit_id, rule.role)] = wanted.get((unit_id, rule.role), False) or rule.lead
    return wanted


@transaction.atomic
def user_for_identity(
    *,
    username: str,
    claims: Mapping[str, Any],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User | None:
    """The account of the person the provider vouches for, its memberships made to match
    the claims; None (and no account) without a mapped role or for a deactivated one."""
    username = (username or "").strip()[:150]
    if not username:
        return None
    wanted = mapped_memberships(claims)
    user = User.objects.select_for_update().filter(username=username).first()
    if user is not None and not user.is_active:
        return None
    if not wanted and user is None:
        logger.info("single sign-on refused: no mapped role, no account created")
        return None
    actor = system_user()
    if user is None:
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        attribute(user, user=actor, reason="single sign-on: account created").save()
    else:
        changed = {
            name: value
            for name, value in (
                ("email", email),
                ("first_name", first_name),
                ("last_name", last_name),
            )
            if value and getattr(user, name) != value
        }
        if changed:
            for name, value in changed.items():
                setattr(user, name, value)
            attribute(user, user=actor, reason="single sign-on: details updated").save(
                update_fields=list(changed)
            )
    sync_memberships(user, wanted, actor=actor)
    if not wanted:
        logger.info("single sign-on refused: no mapped role (user %s)", user.pk)
        return None
    return user


# Sent for each membership single sign-on adds, changes or removes (kwargs `user`, the
# person signing in, `membership` and `unit_id`). The change itself is the system's (its
# history names the system account), so the access log's receivers for admin changes
# skip it; audit/ logs this signal instead, in the hash-chained log, flagged as a role
# change of that person. A signal, because the kernel never imports audit/.
membership_mapped = Signal()


def sync_memberships(user: User, wanted: dict[tuple[int, str], bool], *, actor: User) -> None:
    current = {(m.unit_id, m.role): m for m in Membership.objects.filter(user=user)}
    for (unit_id, role), membership in current.items():
        if (unit_id, role) not in wanted:
            membership_id = membership.pk
            remove_membership(
                membership=membership,
                actor=actor,
                reason="single sign-on: no longer in the identity provider's claims",
            )
            membership.pk = membership_id  # deleted: the log names the row that was
            membership_mapped.send(Membership, user=user, membership=membership, unit_id=unit_id)
    for (unit_id, role), lead in wanted.items():
        existing = current.get((unit_id, role))
        if existing is None or existing.is_lead != lead:
            added = add_membership(
                user=user,
                unit=Unit.objects.get(pk=unit_id),
                role=role,
                is_lead=lead,
                actor=actor,
                reason="single sign-on: mapped from the identity provider's claims",
            )
            membership_mapped.send(Membership, user=user, membership=added, unit_id=unit_id)


# --- Assurance and the second factor ---------------------------------------------------


@dataclass(frozen=True)
class Assurance:
    """How the provider says the person signed in."""

    method: str  # "oidc" or "saml"
    acr: str = ""
    amr: tuple[str, ...] = ()

    @property
    def second_factor(self) -> bool:
        return bool(self.acr) and self.acr in setting("SSO_SECOND_FACTOR_ACR")

    def as_session(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "acr": self.acr,
            "amr": list(self.amr),
            "second_factor": self.second_factor,
        }


def identity_provider_device(user: User) -> StaticDevice:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=IDENTITY_PROVIDER_DEVICE, defaults={"confirmed": True}
    )
    return device


def needs_local_second_factor(user: User, assurance: Assurance) -> bool:
    """Roles that see a person need two factors: the provider's, or else Bo Kvar's."""
    if assurance.second_factor:
        return False
    return Membership.objects.filter(user=user).exclude(role__in=list(NO_PERSON)).exists()


def safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def finish_sign_in(request: HttpRequest, user: User, assurance: Assurance, next_url: str) -> str:
    """Sign in a user the provider vouched for, or send them on to Bo Kvar's own second
    factor; returns where the browser goes next."""
    record = assurance.as_session()
    if not needs_local_second_factor(user, assurance):
        second_factor.complete(request, user, identity_provider_device(user), assurance=record)
        return next_url
    device = second_factor.remembered_device(request, user)
    if device is not None:
        second_factor.complete(request, user, device, assurance=record)
        return next_url
    second_factor.start_pending(request, user, assurance=record)
    step = "login-code" if second_factor.has_authenticator(user) else "login-enrol"
    return reverse(step) + "?" + urlencode({"next": next_url})


# --- The backends ----------------------------------------------------------------------


class OIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]  # mozilla-django-oidc ships no types
    """mozilla-django-oidc's code flow; the account comes from `user_for_identity`."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if not oidc_enabled():
            return None
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        payload = super().verify_token(token, **kwargs)
        issuer = getattr(settings, "OIDC_OP_ISSUER", "")
        if payload and issuer and payload.get("iss") != issuer:
            logger.warning("OIDC ID token from another issuer refused")
            return None
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        # The signed ID token carries acr/amr; the userinfo endpoint may add the groups.
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            claims.update(super().get_userinfo(access_token, id_token, payload))
        return claims

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> User | None:
        claims = self.get_userinfo(access_token, id_token, payload)
        username = claims.get(setting("OIDC_USERNAME_CLAIM"))
        user = user_for_identity(
            username=str(username or ""),
            claims=claims,
            email=str(claims.get("email") or ""),
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
        )
        if user is not None:
            user.bokvar_assurance = Assurance(  # type: ignore[attr-defined]  # read by the callback view
                method="oidc",
                acr=str(claims.get("acr") or ""),
                amr=tuple(str(item) for item in _as_list(claims.get("amr"))),
            )
        return user


class SAMLBackend(Saml2Backend):  # type: ignore[misc]  # djangosaml2 ships no types
    """djangosaml2's assertion, already verified by pysaml2; the account comes from
    `user_for_identity` and the assurance from the AuthnContextClassRef."""

    def authenticate(
        self,
        request: HttpRequest | None,
        session_info: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not saml_enabled() or not session_info or "ava" not in session_info:
            return None
        attributes = session_info["ava"]
        username = _first(attributes.get(setting("SAML_USERNAME_ATTRIBUTE")))
        user = user_for_identity(
            username=username,
            claims=attributes,
            email=_first(attributes.get("mail")),
            first_name=_first(attributes.get("givenName")),
            last_name=_first(attributes.get("sn")),
        )
        if user is not None:
            classes = [str(item[0]) for item in session_info.get("authn_info") or [] if item]
            user.bokvar_assurance = Assurance(  # type: ignore[attr-defined]  # read by the ACS view
                method="saml", acr=classes[0] if classes else ""
            )
        return user


def _as_list(value: Any) -> Iterable[Any]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return list(value)


def _first(value: Any) -> str:
    items = list(_as_list(value))
    return str(items[0]) if items else ""
