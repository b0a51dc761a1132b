"""The type-check ratchet (scripts/mypy_ratchet.py): fails when a file has more mypy errors
than recorded or the strict set has any, passes and says how to lower the record when
there are fewer, and never records a higher total. mypy's output is given here; `make
lint` runs the real one."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mypy_ratchet.py"


@pytest.fixture
def ratchet(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("mypy_ratchet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "BASELINE", tmp_path / "mypy-baseline.txt")
    module.found = []
    monkeypatch.setattr(module, "run_mypy", lambda: module.found)
    return module


def errors(**counts):
    """mypy error lines: errors(housing_forms=2) gives two in housing/forms.py."""
    out = []
    for name, n in counts.items():
        path = name.replace("__", "/").replace("_py", ".py")
        out += [(path, f"{path}:{i}: error: Something  [misc]") for i in range(1, n + 1)]
    return out


def record(ratchet, **counts):
    ratchet.found = errors(**counts)
    assert ratchet.main(["--update"]) == 0


def test_the_first_update_records_todays_counts(ratchet):
    record(ratchet, housing__forms_py=2, audit__demo_py=1)
    text = ratchet.BASELINE.read_text()
    assert "housing/forms.py 2\n" in text
    assert "audit/demo.py 1\n" in text
    assert "# total: 3" in text


def test_as_many_errors_as_recorded_pass(ratchet, capsys):
    record(ratchet, housing__forms_py=2)
    assert ratchet.main([]) == 0
    assert "as recorded" in capsys.readouterr().out


def test_a_new_error_fails_and_is_shown(ratchet, capsys):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=3)
    assert ratchet.main([]) == 1
    out = capsys.readouterr().out
    assert "housing/forms.py:3: error: Something" in out
    assert "housing/forms.py: 3 mypy errors, 2 recorded." in out


def test_an_error_in_an_unlisted_file_fails(ratchet):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=2, steering__stats_py=1)
    assert ratchet.main([]) == 1


def test_a_fix_elsewhere_does_not_hide_a_new_error(ratchet):
    record(ratchet, housing__forms_py=2, audit__demo_py=2)
    ratchet.found = errors(housing__forms_py=3, audit__demo_py=0)
    assert ratchet.main([]) == 1


def test_any_error_in_the_strict_set_fails(ratchet, capsys):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=1, cases__core__forms_py=1)
    assert ratchet.main([]) == 1
    assert ratchet.main(["--update"]) == 1
    assert "strict set must have no mypy error" in capsys.readouterr().out
    assert "housing/forms.py 2\n" in ratchet.BASELINE.read_text()


def test_fewer_errors_pass_and_say_how_to_lower_the_record(ratchet, capsys):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=1)
    assert ratchet.main([]) == 0
    assert "scripts/mypy_ratchet.py --update" in capsys.readouterr().out
    assert ratchet.main(["--update"]) == 0
    assert "housing/forms.py 1\n" in ratchet.BASELINE.read_text()


def test_an_update_never_records_a_higher_total(ratchet):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=3)
    assert ratchet.main(["--update"]) == 1
    assert "housing/forms.py 2\n" in ratchet.BASELINE.read_text()


def test_code_moved_with_its_errors_may_be_recorded(ratchet):
    record(ratchet, housing__forms_py=2)
    ratchet.found = errors(housing__forms_py=1, housing__views_py=1)
    assert ratchet.main([]) == 1
    assert ratchet.main(["--update"]) == 0
    text = ratchet.BASELINE.read_text()
    assert "housing/forms.py 1\n" in text
    assert "housing/views.py 1\n" in text


def test_the_strict_set_matches_the_mypy_configuration(ratchet):
    """The script's list of strict packages is the one pyproject.toml makes strict."""
    import tomllib

    config = tomllib.loads((SCRIPT.parent.parent / "pyproject.toml").read_text())
    strict = [
        o for o in config["tool"]["mypy"]["overrides"] if o.get("disallow_untyped_defs") is True
    ]
    assert len(strict) == 1
    modules = sorted(m.removesuffix(".*").replace(".", "/") + "/" for m in strict[0]["module"])
    assert modules == sorted(ratchet.STRICT)
