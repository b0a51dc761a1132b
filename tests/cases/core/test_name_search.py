"""Issue 19, point 8: search by part of a name.

Every word of a given and a family name is a blind index of its own (cases.core.identity):
"Bergström" finds every Bergström the reader may see, whatever the case and accents
typed, and nobody the one rule hides."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bokvar import crypto
from bokvar.crypto import blind_index
from bokvar.models import Unit
from cases.core.identity import FAMILY_NAME_TOKEN, GIVEN_NAME_TOKEN, NAME, name_index
from cases.core.selectors.cases import CaseFilters, case_list
from cases.models import PersonNameToken, PersonUserObjectPermission, ProtectedIdentity
from tests.case_fixtures import person, search_cases

pytestmark = pytest.mark.django_db

PROTECTED = {"protected_identity": ProtectedIdentity.PROTECTED_REGISTRATION}


@pytest.fixture
def bergstroms(make_case, org):
    """Bergströms the caseworker may see, and Bergströms hidden from them three ways."""
    cases = {
        "anna": make_case(assignees=["caseworker"], people=[person("Anna", "Bergström")]),
        "erik": make_case(
            assignees=["caseworker"],
            people=[person("Test", "Testsson"), person("Erik Johan", "Bergström")],
        ),
        "anna_karin": make_case(
            assignees=["caseworker"], people=[person("Anna-Karin", "Lind-Bergström")]
        ),
        # Out of the caseworker's sight: another unit's case.
        "elsewhere": make_case(
            unit_kind=Unit.Kind.INCOME_SUPPORT,
            assignees=["caseworker2"],
            people=[person("Anna", "Bergström")],
        ),
        # A protected Bergström in a case the caseworker works on, not granted to them.
        "protected": make_case(
            assignees=["caseworker"], people=[person("Sara", "Bergström", **PROTECTED)]
        ),
        # An unprotected Bergström whose co-tenant is protected: the household is hidden.
        "co_tenant": make_case(
            assignees=["caseworker"],
            people=[person("Olle", "Bergström"), person("Stina", "Ek", **PROTECTED)],
        ),
    }
    # Assignees are granted the protected people of a new case: not this caseworker.
    _ungrant(org.users["caseworker"], cases["protected"], cases["co_tenant"])
    return cases


def _ungrant(user, *cases) -> None:
    PersonUserObjectPermission.objects.filter(
        user=user, content_object__household__cases__in=cases
    ).delete()


def _found(user, q: str) -> set[int]:
    return {c.pk for c in case_list(user, CaseFilters(q=q))}


def _ids(cases, *names) -> set[int]:
    return {cases[n].pk for n in names}


@pytest.mark.parametrize("q", ["Bergström", "bergstrom", "BERGSTRÖM", "  Bergström "])
def test_a_family_name_finds_every_bergstrom_the_reader_may_see(org, bergstroms, q):
    found = _found(org.users["caseworker"], q)
    assert found == _ids(bergstroms, "anna", "erik", "anna_karin")


def test_words_of_double_names_and_several_words(org, bergstroms):
    reader = org.users["caseworker"]
    # Lind-Bergström is both a Lind and a Bergström: the search above counts it.
    assert _ids(bergstroms, "anna_karin") <= _found(reader, "Bergström")
    assert _found(reader, "Karin") == _ids(bergstroms, "anna_karin")
    assert _found(reader, "anna") == _ids(bergstroms, "anna", "anna_karin")
    assert _found(reader, "Anna Bergström") == _ids(bergstroms, "anna", "anna_karin")
    assert _found(reader, "Anna-Karin Lind") == _ids(bergstroms, "anna_karin")
    assert _found(reader, "johan") == _ids(bergstroms, "erik")
    # Every word must be one person's: Anna and Erik are in different households.
    assert _found(reader, "Anna Erik") == set()
    # Whole words only.
    assert _found(reader, "Berg") == set()
    assert _found(reader, "Bergströmmen") == set()
    # Punctuation alone searches nothing.
    assert _found(reader, "- ,") == set()


def test_protected_people_are_found_only_by_readers_granted_them(org, bergstroms):
    reader = org.users["caseworker"]
    assert _found(reader, "Sara") == set()
    assert _found(reader, "Olle Bergström") == set()  # the co-tenant's household is hidden
    assert _found(reader, "Stina Ek") == set()
    # The coordinator who registered them (and so was granted them) finds both.
    creator = org.users["coordinator"]
    assert _found(creator, "Sara Bergström") == _ids(bergstroms, "protected")
    assert _found(creator, "Olle") == _ids(bergstroms, "co_tenant")
    assert _ids(bergstroms, "protected", "co_tenant", "elsewhere") <= _found(creator, "bergstrom")


def test_an_identity_number_does_not_reveal_a_hidden_household(org, make_case):
    case = make_case(
        assignees=["caseworker"],
        people=[person("Olle", "Ek", "19800101-2387"), person("Stina", "Ek", **PROTECTED)],
    )
    _ungrant(org.users["caseworker"], case)
    assert _found(org.users["caseworker"], "198001012387") == set()
    assert len(_found(org.users["coordinator"], "198001012387")) == 1


def test_tokens_are_keyed_hashes_that_cannot_be_joined_with_other_indexes(org, make_case):
    case = make_case(people=[person("Bergström", "Bergström")])
    who = case.household.members.get()
    stored = set(PersonNameToken.objects.filter(person=who).values_list("token_bidx", flat=True))
    given = blind_index("bergstrom", purpose=GIVEN_NAME_TOKEN)
    family = blind_index("bergstrom", purpose=FAMILY_NAME_TOKEN)
    # One word as a given and as a family name: two different indexes, neither the
    # full-name index nor the index of the word under the full-name purpose.
    assert stored == {given, family} and given != family
    assert who.name_bidx == name_index("Bergström Bergström")
    assert not stored & {who.name_bidx, blind_index("bergstrom", purpose=NAME)}
    for value in stored:
        assert "bergstr" not in value.lower()


def test_editing_a_name_replaces_its_tokens(client, org, make_case):
    from cases.core.services.people import PersonData, update_person

    case = make_case(assignees=["caseworker"], people=[person("Anna", "Bergström")])
    who = case.household.members.get()
    update_person(
        actor=org.users["coordinator"],
        case_id=case.pk,
        person_id=who.pk,
        expected_version=who.version,
        data=PersonData(given_name="Anna", family_name="Ekström"),
    )
    reader = org.users["caseworker"]
    assert _found(reader, "Bergström") == set()
    assert _found(reader, "ekstrom anna") == {case.pk}
    assert PersonNameToken.objects.filter(person=who).count() == 2


def test_the_search_page_finds_by_part_of_a_name_and_explains_what_matches(client, org, bergstroms):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    response = search_cases(client, "bergstrom")
    body = response.content.decode()
    assert bergstroms["anna"].number in body and bergstroms["erik"].number in body
    assert bergstroms["protected"].number not in body
    assert "bergstrom" not in response.redirect_chain[-1][0].lower()
    assert "Vad sökningen hittar" in body
    assert "Bara hela ord" in body


def test_search_costs_the_same_queries_however_many_people_match(client, org, make_case):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    make_case(people=[person("Anna", "Bergström")])
    location = client.post(reverse("cases:list"), {"q": "anna bergström"})["Location"]
    client.get(location)  # warm per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(location).status_code == 200
        return len(ctx)

    small = count()
    for n in range(25):
        make_case(people=[person("Anna", "Bergström"), person(f"Anna{n}", "Bergström")])
        make_case(people=[person("Anna", f"Ekström{n}")])
    assert len(_found(org.users["coordinator"], "anna bergström")) == 26
    # One more: with more matches than a page holds, the pager counts them (with one
    # match, the page short of full was the list's end; bokvar.paging).
    assert count() == small + 1


def test_rebuild_moves_the_tokens_to_the_new_key_and_search_works_throughout(
    org, bergstroms, settings
):
    reader = org.users["caseworker"]
    old = settings.BLIND_INDEX_KEYS
    settings.BLIND_INDEX_KEYS = f"k2:new-blind-index-key-0123456789abcdef,{old}"
    # Before the rebuild the old forms are searched too.
    assert _found(reader, "bergstrom") == _ids(bergstroms, "anna", "erik", "anna_karin")
    call_command("rebuild_blind_indexes", batch_size=2)
    stored = list(PersonNameToken.objects.values_list("token_bidx", flat=True))
    assert stored and all(v.startswith("k2$") for v in stored)
    settings.BLIND_INDEX_KEYS = "k2:new-blind-index-key-0123456789abcdef"
    assert _found(reader, "bergstrom") == _ids(bergstroms, "anna", "erik", "anna_karin")
    assert _found(reader, "Anna Karin") == _ids(bergstroms, "anna_karin")


def test_rebuild_dry_run_counts_people_whose_tokens_are_old(org, bergstroms, settings, capsys):
    settings.BLIND_INDEX_KEYS = (
        f"k2:new-blind-index-key-0123456789abcdef,{settings.BLIND_INDEX_KEYS}"
    )
    people = PersonNameToken.objects.values("person_id").distinct().count()
    call_command("rebuild_blind_indexes", dry_run=True)
    assert f"cases.PersonNameToken.token_bidx (rows of cases.Person): {people}" in (
        capsys.readouterr().out
    )


def test_the_data_migration_fills_tokens_for_existing_people(org, bergstroms):
    reader = org.users["caseworker"]
    PersonNameToken.objects.all().delete()
    assert _found(reader, "bergstrom") == set()
    migration = importlib.import_module("cases.migrations.0021_fill_person_name_tokens")
    migration.fill(apps, None)
    assert _found(reader, "bergstrom") == _ids(bergstroms, "anna", "erik", "anna_karin")
    before = PersonNameToken.objects.count()
    migration.fill(apps, None)  # resumed or repeated: nothing doubled
    assert PersonNameToken.objects.count() == before


def test_name_tokens_fold_case_and_diacritics_and_split_double_names():
    assert crypto.name_tokens("Bergström") == ["bergstrom"]
    assert crypto.name_tokens("Anna-Karin  ÖSTLUND") == ["anna", "karin", "ostlund"]
    assert crypto.name_tokens("O’Brien Müller José Søren") == ["obrien", "muller", "jose", "soren"]
    assert crypto.name_tokens("Straße") == ["strasse"]
    assert crypto.name_tokens("محمد علي") == ["محمد", "علي"]
