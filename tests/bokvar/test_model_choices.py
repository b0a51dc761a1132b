"""A model choice field offered through `limit_choices` reads its options with one
ordinary query (bokvar.forms.ListedChoiceIterator, issue 22), not Django's server-side
cursor: the same options, read afresh on every rendering, and none kept on the field."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.forms.models import ModelChoiceIterator
from django.test.utils import CaptureQueriesContext

from bokvar import forms as bokvar_forms
from bokvar.forms import ListedChoiceIterator, RowSelect
from bokvar.models import Unit
from cases.core.forms import CaseFilterForm
from cases.core.selectors import cases as case_selectors

pytestmark = pytest.mark.django_db


def _form(org, iterator=None):
    coordinator = org.users["coordinator"]
    form = CaseFilterForm(
        {"unit": "", "assignee": str(org.users["caseworker"].pk)},
        units=Unit.objects.filter(district=org.district),
        staff=case_selectors.staff_choices(coordinator),
    )
    if iterator is not None:  # Django's own, for comparison
        for name in ("unit", "assignee"):
            field = form.fields[name]
            field.iterator = iterator
            field.queryset = field.queryset
    return form


def test_the_options_are_djangos_read_with_one_ordinary_query_each(org):
    ours, django = _form(org), _form(org, ModelChoiceIterator)
    assert ours.is_valid() and django.is_valid()  # cleaning reads the chosen user
    assert ours.cleaned_data == django.cleaned_data
    for name in ("unit", "assignee"):
        assert issubclass(ours.fields[name].iterator, ListedChoiceIterator)
        # Written from rows, in one pass (bokvar.forms.RowSelect), as Django would.
        assert isinstance(ours.fields[name].widget, RowSelect)
        with CaptureQueriesContext(connection) as queries:
            html = str(ours[name])
            again = str(ours[name])
        assert html == again == str(django[name])
        assert "selected>" in str(ours["assignee"])
        # Read afresh on each rendering, one plain query each time, nothing kept.
        assert len(queries) == 2
        assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in queries)
        assert ours.fields[name].queryset._result_cache is None


# --- Long lists read and written as rows (bokvar.forms.RowChoiceField) ------------------


def _row_forms(data):
    """The case list's filter form offering every unit and every active member of staff
    (long lists: its options read and written as rows), and the same form with Django's
    own model choice fields and select (instances, option dictionaries, the option
    template). The access log's filter offered every member of staff so until the
    twenty-first round, when it came to name the reader by username instead."""
    from django import forms as django_forms

    from bokvar.models import User

    def form():
        return CaseFilterForm(
            data,
            units=Unit.objects.filter(is_active=True),
            staff=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        )

    ours, django = form(), form()

    def staff(obj):
        return obj.get_full_name() or obj.username

    for name, label in (("unit", str), ("assignee", staff)):
        mine = ours.fields[name]
        theirs = django_forms.ModelChoiceField(
            queryset=mine.queryset, required=False, label=mine.label, empty_label=mine.empty_label
        )
        theirs.label_from_instance = label
        django.fields[name] = theirs
    return ours, django


@pytest.mark.parametrize(
    "data",
    [None, {}, "chosen", {"assignee": "999999999", "unit": "x"}],
    ids=["unbound", "nothing chosen", "chosen", "refused"],
)
def test_row_choices_write_exactly_djangos_markup(org, data):
    from tests.factories import UserFactory

    # Names that need escaping, and one without a name (labelled by the username).
    UserFactory(username="odd", first_name='<Åsa & "Co">', last_name="Ö'Neill")
    UserFactory(username="nameless", first_name="", last_name="")
    if data == "chosen":
        data = {
            "assignee": str(org.users["caseworker"].pk),
            "unit": str(org.district.units.first().pk),
        }
    ours, django = _row_forms(data)
    assert ours.is_bound is django.is_bound
    if ours.is_bound:
        assert ours.is_valid() is django.is_valid()
        assert ours.errors == django.errors
    for name in ("unit", "assignee"):
        with CaptureQueriesContext(connection) as queries:
            html = str(ours[name])
        assert html == str(django[name])
        assert len(queries) == 1 and "DECLARE" not in queries[0]["sql"]
    user = str(ours["assignee"])
    assert "&lt;Åsa &amp; &quot;Co&quot;&gt; Ö&#x27;Neill</option>" in user
    assert ">nameless</option>" in user
    # The empty option when nothing is chosen, the chosen one, none for an unknown id.
    assert user.count(" selected>") == (0 if data and data["assignee"] == "999999999" else 1)
    if data and data.get("assignee") == str(org.users["caseworker"].pk):
        assert f'value="{org.users["caseworker"].pk}" selected>' in user


def test_a_row_choice_field_still_reads_the_chosen_instance(org):
    ours, _django = _row_forms({"assignee": str(org.users["auditor"].pk)})
    assert ours.is_valid(), ours.errors
    auditor = org.users["auditor"]
    assert ours.cleaned_data["assignee"] == auditor
    # An instance is labelled as its row is (Django's iterator, e.g. `field.choices`).
    assert ours.fields["assignee"].label_from_instance(auditor) == auditor.get_full_name()
    assert [label for _v, label in ours.fields["unit"].choices][1:] == [
        str(unit) for unit in Unit.objects.filter(is_active=True)
    ]


# --- Options read by a statement kept per reader (limit_choices(key=...)) ---------------


def test_kept_options_are_the_orms_and_read_as_they_are_now(org):
    """The case list's selects read their options by statements kept per reader
    (`bokvar.compiled.KeptValues`): the same markup as read the ORM's way, one
    compilation for every rendering, a unit added since shown at once, and no reader's
    statement serving another's options."""
    from unittest import mock

    from bokvar import compiled
    from bokvar.forms import LABEL_ROWS
    from bokvar.services import create_unit

    coordinator, guide = org.users["coordinator"], org.users["guide"]

    def forms_of(user):
        staff = case_selectors.staff_choices(user)
        units = Unit.objects.filter(district=org.district).order_by("name")
        key = ("test", compiled.reader_key(user, "default"))
        kept = CaseFilterForm(None, units=units, staff=staff, choices_key=key)
        orm = CaseFilterForm(None, units=units, staff=staff)
        return kept, orm

    LABEL_ROWS.statements.clear()
    expected = {}
    for user in (coordinator, guide):
        _kept, orm = forms_of(user)
        expected[user.pk] = {name: str(orm[name]) for name in ("unit", "assignee")}
    LABEL_ROWS.statements.clear()
    with mock.patch.object(
        compiled, "_in_values_list_order", wraps=compiled._in_values_list_order
    ) as compiled_once:
        for _ in range(3):
            for user in (coordinator, guide):
                kept, _orm = forms_of(user)
                for name in ("unit", "assignee"):
                    assert str(kept[name]) == expected[user.pk][name], name
        # Each reader's two selects compiled once.
        assert compiled_once.call_count == 4
    create_unit(district=org.district, name="Aaa Nyenheten", kind=Unit.Kind.ADULT)
    kept, orm = forms_of(coordinator)
    assert "Aaa Nyenheten" in str(kept["unit"])
    assert str(kept["unit"]) == str(orm["unit"])
    assert len(LABEL_ROWS.statements) == 4
    # Without a key (`limit_choices` as before) nothing more is kept.
    CaseFilterForm(None, units=Unit.objects.all(), staff=case_selectors.staff_choices(guide))[
        "unit"
    ].as_widget()
    assert len(LABEL_ROWS.statements) == 4


def test_the_case_list_reads_its_selects_by_kept_statements(org, client):
    from bokvar.forms import LABEL_ROWS

    LABEL_ROWS.statements.clear()
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    from django.urls import reverse

    first = client.get(reverse("cases:list")).content
    again = client.get(reverse("cases:list")).content
    assert b'name="unit"' in first and b'name="assignee"' in first
    assert len(LABEL_ROWS.statements) == 2
    assert first.count(b"<option") == again.count(b"<option")


def test_a_row_selects_options_are_written_once_for_the_same_rows(org):
    """The options' markup is kept by the rows read and the chosen value (bokvar.forms
    `_OPTIONS`): the same rows give the same markup without writing it again, a renamed
    unit or another choice is written afresh at once, and the store is bounded."""
    bokvar_forms._OPTIONS.clear()
    first = str(_form(org)["unit"])
    with mock.patch.object(bokvar_forms, "_options", wraps=bokvar_forms._options) as written:
        assert str(_form(org)["unit"]) == first
        assert written.call_count == 0
        unit = Unit.objects.filter(district=org.district).first()
        Unit.objects.filter(pk=unit.pk).update(name="Omdöpt <enhet>")
        renamed = str(_form(org)["unit"])
        assert "Omdöpt &lt;enhet&gt;" in renamed and renamed != first
        chosen = CaseFilterForm(
            {"unit": str(unit.pk)},
            units=Unit.objects.filter(district=org.district),
            staff=case_selectors.staff_choices(org.users["coordinator"]),
        )
        assert f'<option value="{unit.pk}" selected>' in str(chosen["unit"])
        assert written.call_count == 2
    with mock.patch.object(bokvar_forms, "_MAX_OPTIONS", 1):
        str(_form(org)["assignee"])
        assert len(bokvar_forms._OPTIONS) == 1


def test_kept_options_are_found_without_labelling_a_row_and_per_language(org):
    """The markup is looked up by the rows as read (and the field's labelling and empty
    label), so a page whose rows are unchanged labels none of them (the access log's
    2,300 options, issue 22); another language's empty label is another markup."""
    from django.utils import translation

    bokvar_forms._OPTIONS.clear()
    first = str(_form(org)["assignee"])
    # A staff member's label is their full name (`UserChoiceField.label_from_row`).
    with mock.patch.object(bokvar_forms, "full_name", side_effect=AssertionError("labelled")):
        assert str(_form(org)["assignee"]) == first
    form = _form(org)
    form.fields["assignee"].empty_label = translation.gettext_lazy("All")
    with translation.override("sv"):
        swedish = str(form["assignee"])
    with translation.override("en"):
        english = str(form["assignee"])
    assert '<option value="">Alla</option>' in swedish
    assert '<option value="">All</option>' in english
