from django.core.management.base import BaseCommand

from audit import retention


class Command(BaseCommand):
    help = (
        "Cull records past retention. --dry-run lists the person ids (and ids of records "
        "about nobody registered) that would go: ids only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run: bool, **options):
        plan = retention.apply(dry_run=dry_run)
        verb = "Would cull" if dry_run else "Culled"
        self.stdout.write(f"Cut-off: {plan.cutoff.date().isoformat()}")
        self.stdout.write(f"{verb} {len(plan.cull)} people: {' '.join(map(str, plan.cull)) or '-'}")
        self.stdout.write(f"Kept under legal hold: {' '.join(map(str, plan.held)) or '-'}")
        self.stdout.write(
            f"Kept for research (birth day): {' '.join(map(str, plan.research)) or '-'}"
        )
        self.stdout.write(f"Kept with their household: {' '.join(map(str, plan.entangled)) or '-'}")
        for key in sorted(plan.orphans):
            self.stdout.write(
                f"{verb} {len(plan.orphans[key])} {key} about nobody registered: "
                f"{' '.join(map(str, plan.orphans[key])) or '-'}"
            )
            self.stdout.write(
                f"Kept for research (birth day), {key}: "
                f"{' '.join(map(str, plan.orphans_research[key])) or '-'}"
            )
        for label, n in sorted(plan.counts.items()):
            self.stdout.write(f"  {label}: {n}")
