from django.urls import include, path


def boom(request):
    # An exception whose text carries personal data, as a careless error might.
    raise ValueError(f"bad input {request.GET.get('pn')} from anna@example.se")


urlpatterns = [path("boom/", boom), path("", include("bokvar.urls"))]
handler500 = "bokvar.views.error_500"
