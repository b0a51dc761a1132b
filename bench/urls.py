"""The product's addresses plus the framework floor's bare view (bench.floors). Used
only by the benchmark's process (`bench.floors.install()`), never by the product."""

from django.urls import path

from bokvar.urls import urlpatterns as product_urlpatterns

from . import floors

urlpatterns = [
    path(f"{floors.PREFIX.strip('/')}/<int:index>/", floors.bare_view),
    *product_urlpatterns,
]

handler403 = "bokvar.views.error_403"
handler404 = "bokvar.views.error_404"
handler500 = "bokvar.views.error_500"
