"""How the suite sets itself up (issue 14, point 6): the template database is reused only
while what made it is unchanged, and the longest tests start first without breaking the
grouping that saves set-up."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import scheduling, template_db

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "durations_from_junit.py"

# --- the template database's fingerprint -------------------------------------------


@pytest.fixture
def migrations(tmp_path: Path) -> list[tuple[str, Path]]:
    """Copies of three real migration files (one with a RunPython that imports project
    code), as `fingerprint` reads them."""
    files = []
    for label, path in template_db.migration_files():
        if label in {
            "audit.0001_initial",
            "bokvar.0001_initial",
            "cases.0021_fill_person_name_tokens",
        }:
            copy = tmp_path / f"{label}.py"
            shutil.copy(path, copy)
            files.append((label, copy))
    assert len(files) == 3
    return files


def test_the_fingerprint_is_the_same_for_the_same_migrations(migrations):
    assert template_db.fingerprint(migrations) == template_db.fingerprint(list(migrations))
    # The real set is read in a fixed order: two readings agree.
    assert template_db.fingerprint() == template_db.fingerprint()


def test_a_package_found_twice_on_the_path_does_not_change_the_fingerprint(migrations, monkeypatch):
    """A checkout with the editable install's egg-info beside the code lists the project
    twice; a worktree of the same commit once. Both are the same template."""
    once = list(template_db.importlib.metadata.distributions())
    before = template_db.fingerprint(migrations)
    monkeypatch.setattr(template_db.importlib.metadata, "distributions", lambda: once + once[:1])
    assert template_db.fingerprint(migrations) == before


def test_a_changed_added_removed_or_renamed_migration_changes_the_fingerprint(migrations, tmp_path):
    before = template_db.fingerprint(migrations)
    label, path = migrations[0]
    path.write_bytes(path.read_bytes() + b"\n# one more line\n")
    assert template_db.fingerprint(migrations) != before
    path.write_bytes(path.read_bytes().removesuffix(b"\n# one more line\n"))
    assert template_db.fingerprint(migrations) == before

    extra = tmp_path / "extra.py"
    extra.write_text("operations = []\n")
    assert template_db.fingerprint([*migrations, ("audit.9999_extra", extra)]) != before
    assert template_db.fingerprint(migrations[1:]) != before
    renamed = [(label + "_renamed", path), *migrations[1:]]
    assert template_db.fingerprint(renamed) != before


def test_a_changed_project_module_a_migration_imports_changes_the_fingerprint(
    migrations, tmp_path, monkeypatch
):
    assert "cases.core.identity" in template_db._project_imports(migrations[2][1].read_bytes())
    module = tmp_path / "identity.py"
    module.write_text("def name_token_index_set(): ...\n")
    real = template_db._module_file
    monkeypatch.setattr(
        template_db,
        "_module_file",
        lambda name: module if name == "cases.core.identity" else real(name),
    )
    before = template_db.fingerprint(migrations)
    module.write_text("def name_token_index_set(): return 1\n")
    assert template_db.fingerprint(migrations) != before


@pytest.mark.parametrize(
    "name", ["audit.management.commands.setup_database_roles", "audit.models", "tests.db_roles"]
)
def test_a_changed_module_of_the_template_s_migration_changes_the_fingerprint(
    name, migrations, tmp_path, monkeypatch
):
    """The template is migrated by `setup_database_roles --migrate` with its roles and
    grants (the fresh-install test checks a copy of it): a change there makes it again."""
    module = tmp_path / "module.py"
    module.write_text("GRANTS = 1\n")
    real = template_db._module_file
    monkeypatch.setattr(template_db, "_module_file", lambda n: module if n == name else real(n))
    before = template_db.fingerprint(migrations)
    module.write_text("GRANTS = 2\n")
    assert template_db.fingerprint(migrations) != before


def test_only_project_modules_count_as_a_migrations_imports():
    source = b"""
import uuid
from django.db import migrations
import bokvar.fields
from bokvar.binding import migration_operation

def forwards(apps, schema_editor):
    from cases.core.identity import name_token_index_set
"""
    found = template_db._project_imports(source)
    assert {"bokvar.fields", "bokvar.binding", "cases.core.identity"} <= found
    assert not {name for name in found if name.split(".")[0] in {"uuid", "django"}}


# --- the longest tests first ----------------------------------------------------------


class FakeItem:
    """What `longest_first` reads of a collected test."""

    def __init__(self, nodeid: str, fixtures: tuple[str, ...] = (), db: bool = True, tx=False):
        self.nodeid = nodeid
        self.fixturenames = list(fixtures)
        self._marker = SimpleNamespace(args=(), kwargs={"transaction": tx}) if db or tx else None

    def get_closest_marker(self, name: str):
        return self._marker if name == "django_db" else None

    def __repr__(self) -> str:
        return self.nodeid


def names(items) -> list[str]:
    return [item.nodeid for item in items]


def test_the_longest_tests_start_first_within_their_part_of_the_run():
    items = [
        FakeItem("no_db_short", db=False),
        FakeItem("no_db_long", db=False),
        FakeItem("short"),
        FakeItem("district_a", ("district_seeded",)),
        FakeItem("district_b", ("district_seeded",)),
        FakeItem("unknown"),
        FakeItem("longest", tx=True),
        FakeItem("tests/browser/test_x.py::test_long", tx=True),
    ]
    durations = {
        "no_db_long": 6.0,
        "district_a": 3.0,
        "district_b": 4.0,
        "longest": 10.0,
        "tests/browser/test_x.py::test_long": 20.0,
    }
    scheduling.longest_first(items, durations)
    # The no-database tests stay ahead of the rest; the two district tests move as one
    # block of 7 s, behind the 10-s test; the others keep their order, and the browser
    # test stays where conftest.py put it (last).
    assert names(items) == [
        "no_db_long",
        "no_db_short",
        "longest",
        "district_a",
        "district_b",
        "short",
        "unknown",
        "tests/browser/test_x.py::test_long",
    ]


def test_without_listed_times_the_order_stays():
    items = [FakeItem("b"), FakeItem("a", db=False), FakeItem("c", tx=True)]
    scheduling.longest_first(items, {})
    assert names(items) == ["b", "a", "c"]
    scheduling.longest_first(items, {"b": 1.0, "c": 4.9})  # all under SLOW_SECONDS
    assert names(items) == ["a", "b", "c"]  # only split into no-database first


def test_the_checked_in_times_name_tests_that_exist():
    times = scheduling.load_durations()
    assert times, "tests/durations.json is empty"
    root = Path(__file__).resolve().parents[1]
    for nodeid, seconds in times.items():
        assert seconds >= scheduling.SLOW_SECONDS, nodeid
        assert (root / nodeid.split("::")[0]).exists(), nodeid


def test_the_durations_script_reads_a_junit_file(tmp_path):
    junit = tmp_path / "run.xml"
    junit.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.bench.test_load" name="test_x" time="12.5"/>'
        '<testcase classname="tests.bench.test_load.TestY" name="test_z[1]" time="7"/>'
        '<testcase classname="tests.bench.test_load" name="test_quick" time="0.2"/>'
        "</testsuite></testsuites>"
    )
    spec = importlib.util.spec_from_file_location("durations_from_junit", SCRIPT)
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "durations.json"
    assert script.main([str(junit), "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == {
        "tests/bench/test_load.py::test_x": 12.5,
        "tests/bench/test_load.py::TestY::test_z[1]": 7.0,
    }


def test_the_attacker_and_the_counters_keep_the_district_history_layer_open_between_them():
    """The attacker asks for the district history without `cases`, the counters' cross-
    checks with it (through `referred`): the open layers are kept only as far as the two
    lists start the same (`SharedData.prepare`), so the history must come before `cases`
    or the second test builds it again."""
    import tests.steering.test_attacker  # noqa: F401  (registers the layer)
    from tests.shared_data import EXPENSIVE_LAYERS, wanted_layers

    attacker = FakeItem("attacker", ("client", "org", "make_case", "district_history"))
    counters = FakeItem("counters", ("org", "cases", "stats", "district_history"))
    alone, together = wanted_layers(attacker), wanted_layers(counters)
    assert alone == ["org", "district_history"]
    assert together[: len(alone)] == alone
    assert "cases" in together
    # Tests of both modules run together, as one block in the longest-first order.
    assert "district_history" in EXPENSIVE_LAYERS
    assert len(scheduling.blocks([attacker, counters])) == 1


class ModuleItem(FakeItem):
    """A collected test of a module, for `group_by_layers`; `wide` names a module-scoped
    fixture of the suite's own that it uses."""

    def __init__(self, nodeid: str, fixtures: tuple[str, ...] = (), db=True, wide=False):
        super().__init__(nodeid, fixtures, db=db)
        self.path = Path(nodeid.split("::")[0])
        scope = "module" if wide else "function"
        definition = SimpleNamespace(scope=scope, func=ModuleItem.__init__)
        self._fixtureinfo = SimpleNamespace(name2fixturedefs={"fixture": [definition]})


def test_tests_using_the_same_layers_run_together_across_modules():
    """Each list of layers is built once: the tests wanting it follow each other whatever
    their module, a longer list after the shorter one it starts with. A module sharing a
    module-scoped fixture stays in one piece (at its first test's place); the tests
    needing no database come first."""
    from tests.shared_data import group_by_layers

    items = [
        ModuleItem("tests/m1.py::a", ("org",)),
        ModuleItem("tests/m1.py::b"),
        ModuleItem("tests/m1.py::c", ("org", "cases")),
        ModuleItem("tests/m2.py::d", ("org",)),
        ModuleItem("tests/m2.py::x", db=False),
        ModuleItem("tests/m2.py::e"),
        ModuleItem("tests/m2.py::f", ("cases", "org")),
        ModuleItem("tests/m3.py::g", ("org", "cases"), wide=True),
        ModuleItem("tests/m3.py::h", wide=True),
        ModuleItem("tests/m3.py::i", ("org",), wide=True),
    ]
    group_by_layers(items)
    assert names(items) == [
        "tests/m2.py::x",
        "tests/m1.py::b",
        "tests/m2.py::e",
        "tests/m3.py::h",
        "tests/m3.py::i",
        "tests/m3.py::g",
        "tests/m1.py::a",
        "tests/m2.py::d",
        "tests/m1.py::c",
        "tests/m2.py::f",
    ]


def test_a_layer_cannot_follow_one_not_registered():
    from tests.shared_data import LAYERS, register_layer

    before = list(LAYERS)
    with pytest.raises(ValueError, match="not registered"):
        register_layer("never_built", after="no_such_layer")(lambda: None)
    assert list(LAYERS) == before


# --- the test database's copy ----------------------------------------------------------


@pytest.mark.django_db
def test_the_copy_does_not_wait_for_the_disk_on_commit():
    """The process's copy of the template commits without waiting for the write-ahead
    log's flush (a database thrown away after the run); the kept templates keep the
    server's default."""
    from django.db import connection

    if template_db.STATE.clone_name is None:
        pytest.skip("the copy is made from the template on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute(
            "SELECT count(*) FROM pg_database d JOIN pg_db_role_setting s"
            " ON s.setdatabase = d.oid AND s.setrole = 0"
            " WHERE shobj_description(d.oid, 'pg_database') LIKE %s",
            [template_db.MARKER + "%"],
        )
        assert cursor.fetchone()[0] == 0


def test_what_lives_as_long_as_the_run_is_frozen_out_of_the_collectors_sight():
    """conftest.py freezes what collection made and collects the young generation less
    often (a run of tests makes many short-lived objects)."""
    import gc

    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == (50_000, 20, 100)
