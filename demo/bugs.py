"""The demo desk's bug reports: filed from the demo conversations through the services, so the
bug list, a report with its tickets and a fix with customers to tell are there to look at."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from bugs import services
from bugs.models import BugReport
from tenants.models import Membership
from tickets.models import Ticket

# (ticket subject, filed by, values, [(status, fixed_in)], internal comment)
REPORTS = [
    (
        "Restore fails: destination unavailable",
        "agent@demo.example.com",
        {
            "title": "Restore to an SMB share stops with “destination unavailable”",
            "summary": "Restores to a network share fail after about a minute; local restores "
            "work. Seen on 11.4.1 with Windows file servers.",
            "severity": "critical",
            "scope": "some",
            "tracker_url": "https://tracker.demo.example.com/BACK-2291",
        },
        [("confirmed", "")],
        "Reproduced against a Samba 4.19 share: the session times out while the restore "
        "pre-allocates large files.",
    ),
    (
        "Backup stuck at 83% for three days",
        "agent2@demo.example.com",
        {
            "title": "Backups stall on file sets over 2 million files",
            "summary": "The scan never finishes on very large file sets; the progress stays "
            "where it was.",
            "severity": "major",
            "scope": "many",
            "affected_versions": "11.2.0, 11.3.0",
        },
        [("in_progress", ""), ("fixed", "11.4.1")],
        "Fixed by the incremental scanner in 11.4.1; older apps keep stalling.",
    ),
    (
        "Typo in the deployment guide",
        "agent2@demo.example.com",
        {
            "title": "Deployment guide names the wrong port for the admin console",
            "severity": "minor",
            "scope": "all",
        },
        [],
        "Docs team has it; no app change needed.",
    ),
]


def seed_bug_reports() -> None:
    """Three reports on the demo conversations (once: nothing if any report exists)."""
    if BugReport.objects.exists():
        return
    users = get_user_model().objects
    manager = users.get(email="manager@demo.example.com")
    manager_membership = Membership.objects.get(user=manager)
    for subject, filer_email, values, moves, comment in REPORTS:
        ticket = Ticket.objects.filter(subject=subject).order_by("number").first()
        if ticket is None:
            continue
        filer = users.get(email=filer_email)
        membership = Membership.objects.get(user=filer)
        report = services.bug_file(
            ticket=ticket,
            actor=filer,
            membership=membership,
            values={**values, "owner": filer},
            confirm_version=True,  # the demo's 11.2.0 customer: filed knowingly
        )
        services.bug_comment(report=report, actor=filer, membership=membership, body=comment)
        for status, fixed_in in moves:
            services.bug_set_status(
                report=report,
                actor=manager,
                membership=manager_membership,
                status=status,
                fixed_in=fixed_in,
            )
