import pytest
from django.apps import apps
from django.core.management import call_command

from bokvar.models import User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_seed_demo_creates_one_user_per_role_and_prints_logins(capsys):
    call_command("seed_demo", "--password", "pw-for-test-1")
    out = capsys.readouterr().out
    for username in [
        "coordinator",
        "guide",
        "caseworker",
        "caseworker2",
        "steering",
        "auditor",
        "admin",
        "skotare",
    ]:
        assert username in out
        assert User.objects.get(username=username).check_password("pw-for-test-1")


def test_seed_demo_twice_changes_nothing(demo_seeded):
    first = _counts()
    call_command("seed_demo", "--password", "pw-for-test-1")
    assert _counts() == first


def test_every_history_row_of_seed_demo_names_a_user(demo_seeded):
    """Seeding acts as a named user or the system account: no anonymous history."""
    anonymous = {}
    for model in apps.get_models():
        if model._meta.app_label not in {"cases", "bokvar", "partners"}:
            continue
        if not model.__name__.startswith("Historical") or not hasattr(model, "history_user"):
            continue
        count = model.objects.filter(history_user__isnull=True).count()
        if count:
            anonymous[model._meta.label] = count
    assert anonymous == {}


def test_seed_demo_has_the_shape_the_issue_asks_for(demo_seeded):
    """About 40 households, about a third with children, exactly two with a person of
    protected identity."""
    from cases.models import Household, Person, ProtectedIdentity

    households = Household.objects.count()
    assert 36 <= households <= 44
    with_children = Household.objects.filter(children__isnull=False).distinct().count()
    assert households / 4 <= with_children <= households / 2.5
    protected = (
        Person.objects.exclude(protected_identity=ProtectedIdentity.NONE)
        .values("household_id")
        .distinct()
        .count()
    )
    assert protected == 2


def test_every_demo_identity_number_is_a_skatteverket_test_number(demo_seeded):
    """Demo people never carry a number that could be a real person's: each one, read
    back decrypted, is on Skatteverket's list of test personal identity numbers."""
    from cases.core.demo import TEST_PERSONAL_NUMBERS
    from cases.core.identity import parse_personal_number
    from cases.models import LandlordSignal, Person

    numbers = [n for n in Person.objects.values_list("personal_number", flat=True) if n]
    numbers += [
        s.tenant_personal_number for s in LandlordSignal.objects.all() if s.tenant_personal_number
    ]
    assert len(numbers) >= 40
    assert all(n.startswith(("19", "20")) for n in numbers)  # decrypted, not ciphertext
    listed = set(TEST_PERSONAL_NUMBERS)
    outside = [n for n in numbers if parse_personal_number(n).replace("-", "") not in listed]
    assert outside == []


def test_the_test_number_list_is_well_formed():
    from cases.core.demo import TEST_PERSONAL_NUMBERS
    from cases.core.identity import parse_personal_number

    assert len(set(TEST_PERSONAL_NUMBERS)) == len(TEST_PERSONAL_NUMBERS) >= 600
    for number in TEST_PERSONAL_NUMBERS:
        assert parse_personal_number(number).replace("-", "") == number
