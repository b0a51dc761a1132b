from __future__ import annotations

from types import SimpleNamespace

import pytest

from bokvar.models import Unit
from cases.core.services.cases import create_case
from cases.core.services.people import PersonData
from cases.models import Case, ProtectedIdentity

from .shared_data import SHARED, load_organisation, register_layer


def person(given: str, family: str, pn: str = "", **extra) -> PersonData:
    return PersonData(
        given_name=given,
        family_name=family,
        personal_number=pn,
        address=extra.pop("address", f"{family}gatan 1\n113 30 Stockholm"),
        phone=extra.pop("phone", "070-123 45 67"),
        email=extra.pop("email", f"{given.lower()}@example.se"),
        notes=extra.pop("notes", ""),
        **extra,
    )


def case_maker(org):
    def _make(
        *, unit_kind=Unit.Kind.ADULT, assignees=(), people=None, children=(), actor=None, **kwargs
    ):
        return create_case(
            actor=actor or org.users["coordinator"],
            kind=kwargs.pop("kind", "eviction_prevention"),
            responsible_unit=org.units[unit_kind],
            assignees=[org.users[a] if isinstance(a, str) else a for a in assignees],
            people=people or [person("Test", "Testsson")],
            children_birth_years=list(children),
            **kwargs,
        )

    return _make


@pytest.fixture
def make_case(org):
    return case_maker(org)


def build_cases(make_case) -> SimpleNamespace:
    a = make_case(
        unit_kind=Unit.Kind.ADULT,
        assignees=["caseworker"],
        people=[person("Astrid", "Adultsson", "19800101-2387", notes="Skuld hos Kronofogden")],
        children=[2015, 2019],
    )
    b = make_case(
        unit_kind=Unit.Kind.INCOME_SUPPORT,
        assignees=["caseworker2"],
        people=[person("Bertil", "Bidragsson", "19750505-4176")],
    )
    p = make_case(
        unit_kind=Unit.Kind.ADULT,
        people=[
            person(
                "Petra",
                "Skyddadsdotter",
                "19900303-5624",
                address="Hemligvägen 7",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            )
        ],
    )
    g = make_case(
        unit_kind=Unit.Kind.HOUSING_TEAM,
        assignees=["guide"],
        people=[person("Gustav", "Guidesson", "19851212-8730")],
    )
    return SimpleNamespace(a=a, b=b, p=p, g=g)


@register_layer("cases")
def _build_cases_layer() -> dict[str, int]:
    district, units, users = load_organisation()
    org = SimpleNamespace(district=district, units=units, users=users)
    built = build_cases(case_maker(org))
    return {key: case.pk for key, case in vars(built).items()}


@pytest.fixture
def cases(make_case):
    """A: the adult unit's case; B: income support's; P: adult unit, protected main tenant;
    G: the housing team's case assigned to the guide.

    Built once for consecutive tests that use them (tests/shared_data.py), else here."""
    ids = SHARED.layer_data("cases")
    if ids is None:
        return build_cases(make_case)
    by_id = Case.objects.in_bulk(ids.values())
    return SimpleNamespace(**{key: by_id[pk] for key, pk in ids.items()})


def search_cases(client, q: str = "", **filters):
    """Search the case list as the page does: post the form, follow to the results."""
    from django.urls import reverse

    return client.post(reverse("cases:list"), {"q": q, **filters}, follow=True)


def case_as_the_orm_reads_it(user, case_id: int) -> Case | None:
    """The case as the ORM reads it for `user`, with the columns and related rows the
    kept case reads select (tests/cases/core/test_case_for_*_kept.py compare with it)."""
    from cases.core.selectors.cases import visible_cases

    return (
        visible_cases(user)
        .select_related(
            "household", "household__head", "responsible_unit", "responsible_caseworker"
        )
        .filter(pk=case_id)
        .first()
    )
