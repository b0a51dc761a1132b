"""Fill Bo Kvar with fictional demo data. Idempotent: a second run changes nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit import demo as audit_demo
from bokvar import demo as organisation_demo
from bokvar.demo import DEMO_USERS, DemoContext
from cases.core import demo as cases_demo
from cases.evictions import demo as evictions_demo
from cases.handovers import demo as handovers_demo
from housing import demo as housing_demo
from partners import demo as partners_demo
from partners.referrals import demo as referrals_demo
from steering import demo as steering_demo

# Dependency order of the apps (DESIGN §3): each may build on what came before.
SEEDERS = [
    organisation_demo,
    cases_demo,
    evictions_demo,
    handovers_demo,
    housing_demo,
    partners_demo,
    referrals_demo,  # on the cases above, to the partners just seeded
    audit_demo,
    steering_demo,
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
            # The benchmark generator is a development tool, imported only when asked for.
            try:
                from bench import generate
            except ModuleNotFoundError as exc:
                raise CommandError(f"Scale '{scale}' needs the benchmark data generator.") from exc
            try:
                generate.generate(scale=scale, password=password, stdout=self.stdout)
            except generate.NotEmpty as exc:
                raise CommandError(str(exc)) from exc
            return
        ctx = DemoContext(password=password, scale=scale, stdout=self.stdout)
        for seeder in SEEDERS:
            with transaction.atomic():
                seeder.seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins:"))
        for username, *_rest in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {password}")
