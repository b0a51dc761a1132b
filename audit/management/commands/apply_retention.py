from django.core.management.base import BaseCommand

from audit import retention


class Command(BaseCommand):
    help = (
        "Cull records past retention, in batches that commit as they go (a run cut short "
        "is resumed by the next), --workers batches at once. --dry-run lists the person "
        "ids (and ids of records about nobody registered) that would go: ids only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--batch-size", type=int, default=retention.BATCH_SIZE)
        parser.add_argument("--workers", type=int, default=retention.WORKERS)

    def handle(self, *args, dry_run: bool, batch_size: int, workers: int, **options):
        plan = retention.apply(dry_run=dry_run, batch_size=batch_size, workers=workers)
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
        self.stdout.write(
            f"{verb} {plan.notifications} notifications (and their e-mails) older than the period"
        )
        if plan.run is not None:
            resumed = " (resumed a run cut short)" if plan.resumed else ""
            self.stdout.write(
                f"Run #{plan.run.pk}{resumed}: {plan.run.people} people culled in all"
            )
        for label, n in sorted(plan.counts.items()):
            self.stdout.write(f"  {label}: {n}")
