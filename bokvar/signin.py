"""Sign-in in two steps: the password, then a code from the user's authenticator (or a
recovery code); an account without an authenticator enrols one first (issue 21, point 1).

The password step never signs anyone in: it remembers who gave the right password
(`second_factor.start_pending`) and sends them on. Only the code step and enrolment call
`second_factor.complete`, which signs in with the verifying device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from mozilla_django_oidc import views as oidc_views

from . import lockout, second_factor, sso
from .models import Role, User
from .permissions import AuthenticatedRequest
from .selectors import roles_of

if TYPE_CHECKING:
    from django_otp.models import Device

CODES_SESSION_KEY = "bokvar_new_recovery_codes"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )
    remember = forms.BooleanField(label=_("Remember this browser"), required=False)


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits the app shows after you added Bo Kvar."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class LockedSignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The six digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def next_url(request: HttpRequest) -> str:
    """Where to go after signing in: `next` if it is on this site, else the start page."""
    return _next(request)


def _with_next(name: str, request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    url = reverse(name)
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        from urllib.parse import urlencode

        url += "?" + urlencode({"next": target})
    return url


class PasswordForm(AuthenticationForm):
    """Django's sign-in form with its username's length checked: Django sets the
    field's `max_length` after the field is made, so no validator checks it, and a
    username longer than axes' column (255) reached the database in the lockout check
    and answered 500 (found by tests/bokvar/test_form_fuzz.py). Too long now is the
    field's own error, and nothing is authenticated."""

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        limit = getattr(field, "max_length", None) or 150
        field.validators.append(MaxLengthValidator(limit))


class PasswordStepView(auth_views.LoginView):
    """Step one: the password. Right: on to the code (or enrolment); never signed in here."""

    form_class = PasswordForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            local_passwords=sso.local_passwords(),
            oidc_enabled=sso.oidc_enabled(),
            saml_enabled=sso.saml_enabled(),
            sso_failed=self.request.GET.get("sso") == "failed",
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso.local_passwords():
            # Single sign-on only: there is no password form to post.
            raise Http404
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        device = second_factor.remembered_device(self.request, user)
        if device is not None:
            second_factor.complete(self.request, user, device)
            return redirect(self.get_success_url())
        second_factor.start_pending(self.request, user)
        if second_factor.has_authenticator(user):
            return redirect(_with_next("login-code", self.request))
        return redirect(_with_next("login-enrol", self.request))


@never_cache
@sensitive_post_parameters("code")
def code_step(request: HttpRequest) -> HttpResponse:
    user = second_factor.pending_user(request)
    if user is None:
        return redirect("login")
    if not second_factor.has_authenticator(user):
        return redirect(_with_next("login-enrol", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = second_factor.verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            second_factor.complete(request, user, device)
            response = redirect(_next(request))
            if form.cleaned_data["remember"]:
                second_factor.remember(response, user, device)
            return response
        if not second_factor.count_failure(request):
            return redirect("login")
        form.add_error("code", _("The code is wrong or has expired. Try the next one."))
    return render(
        request,
        "registration/code.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "remember_days": second_factor.remember_days(),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@sensitive_post_parameters("code")
def enrol(request: HttpRequest) -> HttpResponse:
    user = second_factor.pending_user(request)
    if user is None:
        return redirect("login")
    if second_factor.has_authenticator(user):
        return redirect(_with_next("login-code", request))
    device = second_factor.start_enrolment(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = second_factor.confirm_enrolment(
                user=user, code=form.cleaned_data["code"]
            )
        except second_factor.SecondFactorError:
            if not second_factor.count_failure(request):
                return redirect("login")
            form.add_error("code", _("The code is wrong or has expired. Try the next one."))
        else:
            second_factor.complete(request, user, device)
            request.session[CODES_SESSION_KEY] = codes
            return redirect(reverse("recovery-codes") + "?" + _next_query(request))
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "registration/enrol.html",
        {
            "form": form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
            "qr_svg": qr.svg_inline(scale=4, title=str(_("QR code for your authenticator app"))),
            "secret": _base32(device),
        },
        status=400 if form.errors else 200,
    )


def _next_query(request: HttpRequest) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": _next(request)})


def _base32(device: Device) -> str:
    import base64

    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """Axes' answer to a locked sign-in (AXES_LOCKOUT_CALLABLE): when only the account is
    locked, not the address, it offers the sign-in with password and code together."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return render(
        request,
        "registration/locked_out.html",
        {
            "form": None
            if lockout.address_locked(request)
            else LockedSignInForm(initial={"username": username}),
        },
        status=429,
    )


@never_cache
@sensitive_post_parameters("password", "code")
def locked_sign_in(request: HttpRequest) -> HttpResponse:
    """A locked account signs in with its password and a second-factor code at once
    (bokvar/lockout.py). Every failure here counts against the address and the account."""
    if not sso.local_passwords():
        raise Http404
    AxesProxyHandler.update_request(request)
    if lockout.address_locked(request):
        return locked_out(request)
    form = LockedSignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(username=data["username"], is_active=True).first()
        if user is None:
            User().set_password(data["password"])  # same time as for a real account
        elif user.check_password(data["password"]):
            device = second_factor.verify(user=user, code=data["code"])
            if device is not None:
                user.backend = "django.contrib.auth.backends.ModelBackend"
                second_factor.complete(request, user, device)
                return redirect(_next(request))
        user_login_failed.send(
            sender=__name__, credentials={"username": data["username"]}, request=request
        )
        # Counted; this page, not Axes' lock-out page, tells the user what happened.
        request.axes_locked_out = False  # type: ignore[attr-defined]  # django-axes' flag on the request
        form.add_error(None, _("The username, password or code is wrong."))
    return render(
        request,
        "registration/locked_sign_in.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
def recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    """The recovery codes, shown once right after enrolment."""
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        return redirect("home")
    return render(
        request, "registration/recovery_codes.html", {"codes": codes, "next": _next(request)}
    )


@never_cache
@login_required
def reset_second_factor(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    """An administrator removes another user's second factor; logged."""
    if not roles_of(request.user).has(Role.ADMINISTRATOR):
        raise PermissionDenied
    target = get_object_or_404(User, pk=user_id)
    if target.pk == request.user.pk:
        raise PermissionDenied
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        second_factor.reset(actor=request.user, user=target, reason=form.cleaned_data["reason"])
        return render(request, "registration/reset_done.html", {"target": target})
    return render(
        request,
        "registration/reset.html",
        {"form": form, "target": target},
        status=400 if form.errors else 200,
    )


# --- Single sign-on (bokvar/sso.py) ----------------------------------------------------


class OIDCOnly:
    """404, whatever the method, until OpenID Connect is configured."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso.oidc_enabled():
            raise Http404
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # a mixin before a view
        return response


class SAMLOnly:
    """404, whatever the method, until SAML is configured."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sso.saml_enabled():
            raise Http404
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # as above
        return response


class OIDCStartView(OIDCOnly, oidc_views.OIDCAuthenticationRequestView):  # type: ignore[misc]  # mozilla-django-oidc ships no types
    pass


class OIDCCallbackView(OIDCOnly, oidc_views.OIDCAuthenticationCallbackView):  # type: ignore[misc]  # as above
    """The provider's answer: the backend has checked it and mapped the roles; here the
    sign-in completes, or goes on to the local second factor (sso.finish_sign_in)."""

    def login_success(self) -> HttpResponse:
        assurance = getattr(self.user, "bokvar_assurance", None) or sso.Assurance("oidc")
        target = sso.finish_sign_in(
            self.request, self.user, assurance, sso.safe_next(self.request, self.success_url)
        )
        return HttpResponseRedirect(target)


def sso_failed(
    request: HttpRequest, exception: Exception | None = None, status: int = 403, **kwargs: Any
) -> HttpResponse:
    """djangosaml2's answer to an assertion it could not use (SAML_ACS_FAILURE_RESPONSE_
    FUNCTION): Bo Kvar's page, which names no detail of the assertion."""
    return render(request, "registration/sso_failed.html", status=status)
