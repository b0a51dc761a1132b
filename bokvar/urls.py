from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated

from . import passkey_views, passwords, signin, views
from .lazy_views import lazy_view

api_v1 = [
    path("", include("cases.api_urls")),
    path("", include("housing.api_urls")),
    path("", include("partners.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("steering.api_urls")),
]

urlpatterns = [
    path("", include("home.urls")),
    path("notifications/", views.notifications, name="notifications"),
    path("health/", views.health, name="health"),
    path("login/", signin.PasswordStepView.as_view(), name="login"),
    path("login/code/", signin.code_step, name="login-code"),
    path("login/enrol/", signin.enrol, name="login-enrol"),
    path("login/locked/", signin.locked_sign_in, name="login-locked"),
    path("login/recovery-codes/", signin.recovery_codes, name="recovery-codes"),
    path("login/passkey/options/", passkey_views.sign_in_options, name="passkey-sign-in-options"),
    path("login/passkey/", passkey_views.sign_in, name="passkey-sign-in"),
    path("account/passkeys/", passkey_views.passkey_list, name="passkeys"),
    path(
        "account/passkeys/options/",
        passkey_views.register_options,
        name="passkey-register-options",
    ),
    path("account/passkeys/new/", passkey_views.register, name="passkey-register"),
    path(
        "staff/<int:user_id>/reset-second-factor/",
        signin.reset_second_factor,
        name="reset-second-factor",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (bokvar/sso.py): each answers 404 until configured.
    path("oidc/login/", signin.OIDCStartView.as_view(), name="oidc-login"),
    path("oidc/callback/", signin.OIDCCallbackView.as_view(), name="oidc-callback"),
    # Imported at their first request (bokvar/lazy_views.py): pysaml2 is slow to import.
    path("saml2/login/", lazy_view("bokvar.saml_views.SAMLStartView"), name="saml2_login"),
    path(
        "saml2/acs/",
        lazy_view("bokvar.saml_views.SAMLAssertionConsumerView", csrf_exempt=True),
        name="saml2_acs",
    ),
    path("saml2/metadata/", lazy_view("bokvar.saml_views.SAMLMetadataView"), name="saml2_metadata"),
    # Local passwords (bokvar/passwords.py): each answers 404 while they are off.
    path("password/", passwords.PasswordChangeView.as_view(), name="password-change"),
    path(
        "password/changed/",
        passwords.PasswordChangeDoneView.as_view(),
        name="password-change-done",
    ),
    path("password/reset/", passwords.PasswordResetView.as_view(), name="password-reset"),
    path(
        "password/reset/sent/",
        passwords.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/",
        passwords.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    # Before Django's own: the same switch, remembered for a signed-in user.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("cases/", include("cases.urls")),
    path("housing/", include("housing.urls")),
    path("partners/", include("partners.urls")),
    # Client surveys answered on a phone with a code, no login ("enkät").
    path("enkat/", include("partners.public_urls")),
    path("audit/", include("audit.urls")),
    path("steering/", include("steering.urls")),
    path("api/v1/", include(api_v1)),
    # The schema: any valid API client's token (whatever its kind) or a staff session.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
        name="api-schema",
    ),
    path(
        "api/docs/",
        # An empty shell served from our own static files (offline: no CDN); it loads
        # the schema with the session, or with the token given under "Authorize".
        # The split view serves its start-up script as a file: no inline script (CSP).
        # Swagger UI sets inline styles as it draws; its page alone allows them.
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", permission_classes=[AllowAny]
            )
        ),
        name="api-docs",
    ),
]

handler403 = "bokvar.views.error_403"
handler404 = "bokvar.views.error_404"
handler500 = "bokvar.views.error_500"
