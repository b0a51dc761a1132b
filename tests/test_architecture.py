"""The house as drawn in docs/architecture.md: every import of the application is read
(ast, imports inside functions included) and checked against the direction of the apps,
the direction inside cases/, the ban on private names across modules and on mid-file
imports, and the one shape every part of cases/ has."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["bokvar", "cases", "housing", "partners", "audit", "steering", "home"]
FIRST_PARTY = {*APPS, "bench", "tests"}
# The audit app's plug-in interface, which the domain apps below it may use.
AUDIT_INTERFACE = {"audit.registry", "audit.hooks"}

# What each app may import (besides itself and third-party libraries): DESIGN §3,
# bokvar ← cases ← housing, audit and steering on top, home above everything.
ALLOWED = {
    "bokvar": set(),
    "cases": {"bokvar", *AUDIT_INTERFACE},
    "housing": {"bokvar", "cases", *AUDIT_INTERFACE},
    # Partners sit on the kernel and may read cases; no domain app imports them.
    "partners": {"bokvar", "cases", *AUDIT_INTERFACE},
    "audit": {"bokvar"},
    # Steering reads the partners' referrals, the meeting places' annual figures and the
    # survey answers' plain columns (issue 20).
    "steering": {"bokvar", "cases", "housing", "partners"},
    "home": {"bokvar", "cases", "housing", "partners", "audit", "steering", "bench"},
}

PARTS = ["cases.core", "cases.evictions", "cases.handovers"]
# Inside cases/: what each part may import of the other parts. The core is at the bottom;
# evictions and handovers build on it side by side. What joins them is cases/case_page.py,
# which the pages themselves (view modules) may use.
PART_ALLOWED = {
    "cases.core": set(),
    "cases.evictions": {"cases.core"},
    "cases.handovers": {"cases.core"},
}
SHAPE = ["services", "selectors", "views", "forms", "api", "tasks", "urls", "demo", "audit"]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module (or module.name) imported
    names: tuple[str, ...]  # names imported with "from target import …"
    line: int
    top_level: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_files() -> list[Path]:
    return sorted(p for app in APPS for p in (ROOT / app).rglob("*.py"))


def checked_files() -> list[Path]:
    """The application and the benchmarks (tests may reach into privates: white-box)."""
    return [*app_files(), *sorted((ROOT / "bench").rglob("*.py"))]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, (), node.lineno, id(node) in top))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, path.name == "__init__.py", node)
            names = tuple(a.name for a in node.names)
            found.append(Import(module, target, names, node.lineno, id(node) in top))
    return found


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def targets(imp: Import) -> list[str]:
    """The first-party modules an import reaches: `from a import b` reaches a.b when b is
    a module, else a."""
    if imp.target.split(".")[0] not in FIRST_PARTY:
        return []
    if not imp.names:
        return [imp.target]
    return [
        f"{imp.target}.{n}" if is_module(f"{imp.target}.{n}") else imp.target for n in imp.names
    ]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def is_view_layer(module: str) -> bool:
    return bool({"views", "api", "urls"} & set(module.split(".")))


ALL_IMPORTS = [imp for path in checked_files() for imp in imports_of(path)]
APP_IMPORTS = [imp for imp in ALL_IMPORTS if imp.module.split(".")[0] in APPS]


def test_the_checker_sees_the_imports():
    # Guards the test itself: the imports it must see are seen.
    reached = {t for imp in APP_IMPORTS for t in targets(imp)}
    assert {"cases.core.selectors.cases", "bokvar.selectors", "audit.registry"} <= reached
    assert any(imp.module == "cases.case_page" for imp in APP_IMPORTS)


def test_apps_import_only_in_the_direction_of_the_house():
    wrong = []
    for imp in APP_IMPORTS:
        app = imp.module.split(".")[0]
        for target in targets(imp):
            other = target.split(".")[0]
            if other == app:
                continue
            if not any(within(target, allowed) for allowed in ALLOWED[app]):
                wrong.append(f"{imp.module}:{imp.line} imports {target}")
    assert not wrong, "imports against the direction of the apps:\n" + "\n".join(wrong)


def test_no_domain_app_imports_steering_and_audit_never_imports_the_domain():
    # Implied by ALLOWED; spelled out because DESIGN §3 says it in these words.
    def wrong_way(importer: str, imported: str) -> bool:
        if imported == "steering":
            return importer in {"bokvar", "cases", "housing", "partners", "audit"}
        if imported == "partners":
            # Partners sit on top of the domain: the domain never imports them.
            return importer in {"bokvar", "cases", "housing", "audit"}
        return importer == "audit" and imported in {"cases", "housing", "partners", "steering"}

    wrong = [
        f"{imp.module}:{imp.line} imports {t}"
        for imp in APP_IMPORTS
        for t in targets(imp)
        if wrong_way(imp.module.split(".")[0], t.split(".")[0])
    ]
    assert not wrong, "\n".join(wrong)


def test_the_parts_of_cases_import_in_their_direction():
    wrong = []
    for imp in APP_IMPORTS:
        part = next((p for p in PARTS if within(imp.module, p)), None)
        if part is None:
            continue
        for target in targets(imp):
            if not within(target, "cases") or within(target, part):
                continue
            if within(target, "cases.models"):
                continue  # the models are shared by every part
            if target == "cases.case_page" and is_view_layer(imp.module):
                continue  # a page shows what the case page lists
            if not any(within(target, allowed) for allowed in PART_ALLOWED[part]):
                wrong.append(f"{imp.module}:{imp.line} imports {target}")
    assert not wrong, "imports against the direction inside cases/:\n" + "\n".join(wrong)


def test_the_models_of_cases_import_only_the_kernel():
    wrong = [
        f"{imp.module}:{imp.line} imports {t}"
        for imp in APP_IMPORTS
        if within(imp.module, "cases.models")
        for t in targets(imp)
        if not (within(t, "cases.models") or within(t, "bokvar"))
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_modules_private_name():
    wrong = []
    for path in checked_files():
        module = module_name(path)
        tree = ast.parse(path.read_text(), filename=str(path))
        module_aliases: dict[str, str] = {}
        for imp in imports_of(path):
            for name in imp.names:
                if name.startswith("_") and not name.startswith("__"):
                    wrong.append(f"{module}:{imp.line} imports {imp.target}.{name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in FIRST_PARTY:
                        module_aliases[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path.name == "__init__.py", node)
                for alias in node.names:
                    if base.split(".")[0] in FIRST_PARTY and is_module(f"{base}.{alias.name}"):
                        module_aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                wrong.append(
                    f"{module}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}"
                )
    assert not wrong, "private names used across modules:\n" + "\n".join(wrong)


def test_no_mid_file_imports_in_application_code():
    marked = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in app_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"noqa:.*E402", line)
    ]
    assert not marked, "\n".join(marked)


@pytest.mark.parametrize("part", PARTS)
def test_every_part_of_cases_has_the_same_shape(part):
    folder = ROOT.joinpath(*part.split("."))
    missing = [
        name
        for name in SHAPE
        if not (folder / f"{name}.py").exists() and not (folder / name / "__init__.py").exists()
    ]
    assert not missing, f"{part} lacks {missing}"
    for name in SHAPE:
        module = folder / f"{name}.py"
        if module.exists():
            # A part with nothing for one of the modules says so, and why, in a docstring.
            assert module.read_text().strip(), f"{part}.{name} is empty"


def test_a_module_named_signals_holds_only_signal_receivers():
    offenders = []
    for path in app_files():
        if path.name != "signals.py":
            continue
        tree = ast.parse(path.read_text())
        functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
        receivers = [
            f for f in functions if any("receiver" in ast.unparse(d) for d in f.decorator_list)
        ]
        if len(receivers) != len(functions) or any(isinstance(n, ast.ClassDef) for n in tree.body):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
