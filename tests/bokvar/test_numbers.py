"""Issue 19, point 9: numbers people read are grouped by thousands, with the decimal
sign of their language ("181 571,77" in Swedish), while ids and years are not."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from bokvar.templatetags.numbers import grouped

NBSP = "\xa0"


def test_grouped_in_each_language():
    with translation.override("sv"):
        assert grouped(Decimal("181571.77")) == f"181{NBSP}571,77"
        assert grouped(Decimal("12000.00")) == f"12{NBSP}000"  # whole kronor
        assert grouped(181571) == f"181{NBSP}571"
    with translation.override("en"):
        assert grouped(Decimal("181571.77")) == "181,571.77"
    # Not a number: as it is.
    assert grouped(None) is None and grouped("—") == "—" and grouped("") == ""


def test_ids_and_years_are_left_alone_in_templates():
    """The filter, not USE_THOUSAND_SEPARATOR: a template's other numbers stay plain."""
    with translation.override("sv"):
        text = Template("{% load numbers %}{{ pk }} {{ year }} {{ n|grouped }}").render(
            Context({"pk": 12345, "year": 2026, "n": 12345})
        )
    assert text == f"12345 2026 12{NBSP}345"


@pytest.mark.django_db
def test_apartment_rent_reads_as_a_number_in_swedish_and_english(client, org):
    from housing.services import create_apartment

    coordinator = org.users["coordinator"]
    apartment = create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind="training",
        reference="LGH-1001",
        address="Storgatan 1",
        rent=Decimal("12500.50"),
        status_since=date(2026, 1, 1),
    )
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("housing:apartment", args=[apartment.pk])
    sv = client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert f"<dd>12{NBSP}500,50</dd>" in sv
    en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<dd>12,500.50</dd>" in en
