"""Fill Bo Kvar with fictional demo data. Idempotent: a second run changes nothing."""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bokvar.demo import DEMO_USERS, DemoContext

# Dependency order of the apps (DESIGN §3): each may build on what came before.
# Modules that do not exist (yet) are skipped.
SEEDERS = [
    "bokvar.demo",
    "cases.core.demo",
    "cases.demo_workflow",
    "cases.demo_handovers",
    "housing.demo",
    "audit.demo",
    "steering.demo",
]
SCALES = ["demo", "district", "city", "national"]


class Command(BaseCommand):
    help = "Create demo units, one user per role and fictional case data."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="bokvar-demo", help="Password of the demo users.")
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="demo",
            help="Data volume; the larger scales are for benchmarks.",
        )

    def handle(self, *args, password: str, scale: str, **options):
        if scale != "demo":
            generator = _optional_module("bench.generate")
            if generator is None:
                raise CommandError(f"Scale '{scale}' needs the benchmark data generator.")
            try:
                generator.generate(scale=scale, password=password, stdout=self.stdout)
            except generator.NotEmpty as exc:
                raise CommandError(str(exc)) from exc
            return
        ctx = DemoContext(password=password, scale=scale, stdout=self.stdout)
        for name in SEEDERS:
            module = _optional_module(name)
            if module is None:
                continue
            with transaction.atomic():
                module.seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins:"))
        for username, *_rest in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {password}")


def _optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
