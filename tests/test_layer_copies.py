"""A shared layer copied back instead of built again (tests/shared_data.py, `LayerCopies`):
the rows are those of its first build, ids included, and anything that cannot be copied
safely is built as before."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from bokvar.models import User
from cases.models import Case
from tests.shared_data import (
    COMMITTED,
    COPIED_LAYERS,
    LAYERS,
    Layer,
    LayerCopies,
    SharedData,
    read_organisation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere every layer is built")


@contextmanager
def rolled_back() -> Iterator[None]:
    """A layer's savepoint: whatever is opened in it is rolled back at the end."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def table_rows(tables: list[str]) -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            rows[table] = cursor.fetchall()
    return rows


def open_layers(copies: LayerCopies, names: list[str]) -> list[Layer]:
    """What `SharedData.prepare` does for each layer (here without the savepoints)."""
    layers: list[Layer] = []
    for name in names:
        data, token = copies.open(name, layers)
        layers.append(Layer(name=name, atomic=None, data=data, token=token))
    return layers


def test_the_organisation_and_the_cases_copied_back_are_the_rows_of_their_first_build():
    copies = LayerCopies()
    with rolled_back():
        built = open_layers(copies, ["org", "cases"])
        assert all(layer.token is not None for layer in built)
        tables = COMMITTED.filled_tables()
        assert {"bokvar_user", "cases_case"} <= set(tables)
        first = table_rows(tables)
    assert COMMITTED.filled_tables() == []
    with rolled_back():
        copied = open_layers(copies, ["org", "cases"])
        assert copies.built == {"org": 1, "cases": 1}
        assert copies.restored == {"org": 1, "cases": 1}
        assert COMMITTED.filled_tables() == tables
        assert table_rows(tables) == first
        # The data names the copied rows, and they are usable as built ones are.
        assert copied[1].data == built[1].data
        cases = Case.objects.in_bulk(copied[1].data.values())
        assert cases[copied[1].data["a"]].responsible_unit.district.code == "norrmalm"
        assert User.objects.get(username="coordinator").check_password("demo-pass-2026")
        # New rows take new ids after the copied ones, as after a build.
        copied_ids = list(User.objects.values_list("pk", flat=True))
        assert User.objects.create(username="new").pk > max(copied_ids)
        connection.check_constraints()


def test_a_layer_over_rows_not_copied_is_built():
    copies = LayerCopies()
    with rolled_back():
        open_layers(copies, ["org"])
    with rolled_back():
        User.objects.create(username="already-here")
        layers = open_layers(copies, ["org", "cases"])
        # The bottom layer goes on an empty database only; nothing above it is copied.
        assert [layer.token for layer in layers] == [None, None]
    with rolled_back():
        # The organisation copied back; the cases on it are built (and copied next time).
        assert all(layer.token is not None for layer in open_layers(copies, ["org", "cases"]))
    assert copies.built == {"org": 2, "cases": 2}
    assert copies.restored == {"org": 1}


def test_a_layer_that_changes_rows_below_it_is_built_every_time(monkeypatch):
    def rename_the_coordinator() -> bool:
        User.objects.filter(username="coordinator").update(first_name="Changed")
        return True

    monkeypatch.setitem(LAYERS, "renames", rename_the_coordinator)
    monkeypatch.setattr("tests.shared_data.COPIED_LAYERS", COPIED_LAYERS | {"renames"})
    copies = LayerCopies()
    for _ in range(2):
        with rolled_back():
            layers = open_layers(copies, ["org", "renames"])
            assert layers[1].token is None
            assert User.objects.get(username="coordinator").first_name == "Changed"
    assert copies.built == {"org": 1, "renames": 2}
    assert copies.restored == {"org": 1}


def test_a_layer_not_marked_copied_is_built_every_time(monkeypatch):
    monkeypatch.setattr("tests.shared_data.COPIED_LAYERS", COPIED_LAYERS - {"outsider"})
    copies = LayerCopies()
    for _ in range(2):
        with rolled_back():
            assert open_layers(copies, ["outsider"])[0].token is None
            assert User.objects.filter(username="outsider").exists()
    assert copies.built == {"outsider": 2}
    assert copies.restored == {}


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_each_test_gets_its_own_copy_of_the_objects_read_once_from_the_layers():
    shared = SharedData()
    try:
        shared.prepare(["org", "cases"])
        district, units, users = shared.layer_objects("org")
        fresh = read_organisation()
        assert values(district) == values(fresh[0])
        assert {k: values(u) for k, u in units.items()} == {
            k: values(u) for k, u in fresh[1].items()
        }
        assert {k: values(u) for k, u in users.items()} == {
            k: values(u) for k, u in fresh[2].items()
        }
        cases = shared.layer_objects("cases")
        assert {key: case.pk for key, case in cases.items()} == shared.layer_data("cases")
        # A test's changes to its objects are not the next test's.
        users["coordinator"].first_name = "Changed"
        cases["a"].status = "changed"
        assert shared.layer_objects("org")[2]["coordinator"].first_name == "Anette"
        assert shared.layer_objects("cases")["a"].status != "changed"
        # Other layers open: read again for them, none for a layer no longer open.
        shared.prepare(["org"])
        assert shared.layer_objects("cases") is None
        assert shared.layer_objects("org")[2]["coordinator"].first_name == "Anette"
    finally:
        shared.close_layers()
    assert shared.layer_objects("org") is None
