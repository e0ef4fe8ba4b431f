from datetime import timedelta

from django.core.management.base import BaseCommand

from tickets.automations import run_automations


class Command(BaseCommand):
    help = "Run one pass of the timed rules (pending -> solved, solved -> closed, reminders)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only say what is due.")
        parser.add_argument("--budget", type=int, default=240, help="Time budget in seconds.")

    def handle(self, *args, dry_run=False, budget=240, **options):
        report = run_automations(time_budget=timedelta(seconds=budget), dry_run=dry_run)
        verbs = {"solved": "solve", "closed": "close", "reminded": "remind", "breached": "flag"}
        for outcome, verb in verbs.items():
            for slug, number in getattr(report, outcome):
                self.stdout.write(f"{'would ' + verb if dry_run else outcome} {slug} #{number}")
        for slug, number, error in report.failed:
            self.stderr.write(f"failed {slug} #{number}: {error}")
        summary = (
            f"{len(report.solved)} solved, {len(report.closed)} closed, "
            f"{len(report.reminded)} reminded, {len(report.breached)} breaches recorded, "
            f"{len(report.failed)} failed"
        )
        if report.budget_exhausted:
            summary += " (time budget spent; the next pass continues)"
        self.stdout.write(("Would do: " if dry_run else "Done: ") + summary)
