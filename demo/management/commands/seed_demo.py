"""Demo data: two tenants, their people, forms and a desk's worth of tickets.

Conversations go through the real services. ``--tickets N`` adds N more tickets for volume
trials with bulk inserts (consistent with the lifecycle's invariants, but without running every
service call, which would take hours for millions of rows).
"""

import random
import sys
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo import banner
from demo.bugs import seed_bug_reports
from demo.chats import seed_past_chats
from demo.clock import shift_back
from demo.help_articles import seed_help_center
from demo.inbox import seed_email_channel
from demo.tenants import (
    DEMO_ORGANIZATIONS,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_TENANT,
    SECOND_TENANT,
)
from demo.tickets import DEMO_CONVERSATIONS, DEMO_FORM, DEMO_MACROS, SECOND_FORM
from desk.priorities import RANK, Priority
from desk.services import desk_create
from tenants.context import tenant_context
from tenants.models import Membership, Organization, Tenant
from tickets import lifecycle, services, sla
from tickets.lifecycle import Actor
from tickets.models import Comment, Macro, Ticket, TicketEvent, TicketFormField
from tickets.rendering import render
from tickets.services import ticket_numbers_reserve

BATCH = 2000


class Command(BaseCommand):
    help = "Create the demo tenant (run to the support policy), a second tenant and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=0, help="Add N volume tickets to demo.")
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )

    def handle(self, *args, **options):
        if options["tickets"] < 0:
            raise CommandError("--tickets must be zero or more.")
        with transaction.atomic():
            tenants = [self._tenant(dict(DEMO_TENANT)), self._tenant(dict(SECOND_TENANT))]
            for tenant, form in zip(tenants, (DEMO_FORM, SECOND_FORM), strict=True):
                with tenant_context(tenant):
                    self._people(tenant)
                    self._form(form)
                    if tenant.slug == DEMO_TENANT["slug"]:
                        for position, (name, body, submit_as, priority) in enumerate(DEMO_MACROS):
                            Macro.objects.get_or_create(
                                name=name,
                                defaults={
                                    "body": body,
                                    "submit_as": submit_as,
                                    "priority": priority,
                                    "position": position,
                                },
                            )
                    if not Ticket.objects.exists() and tenant.slug == DEMO_TENANT["slug"]:
                        self._conversations()
                    if tenant.slug == DEMO_TENANT["slug"]:
                        seed_past_chats()
                        seed_help_center()
                        seed_bug_reports()
                        seed_email_channel()
        if options["tickets"]:
            self._volume(tenants[0], options["tickets"])
        if not options["quiet_logins"]:
            self.stdout.write("\n".join(banner.logins(tenants)))

    def _tenant(self, spec: dict) -> Tenant:
        existing = Tenant.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            return existing
        return desk_create(**spec)

    def _people(self, tenant: Tenant) -> None:
        User = get_user_model()
        organizations = {}
        for name, domains in DEMO_ORGANIZATIONS[tenant.slug]:
            organizations[name], _ = Organization.objects.get_or_create(
                name=name, defaults={"email_domains": domains}
            )
        for email, name, role, org_name in DEMO_PEOPLE[tenant.slug]:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.update_or_create(
                user=user,
                defaults={"role": role, "organization": organizations.get(org_name)},
            )

    def _form(self, spec: list[dict]) -> None:
        for field in spec:
            TicketFormField.objects.update_or_create(key=field["key"], defaults=field)

    def _conversations(self) -> None:
        User = get_user_model()
        agents = list(
            User.objects.filter(email__in=["agent@demo.example.com", "agent2@demo.example.com"])
        )
        now = timezone.now()
        for index, (email, subject, priority, version, description, replies) in enumerate(
            DEMO_CONVERSATIONS
        ):
            customer = User.objects.get(email=email)
            ticket = services.ticket_submit(
                requester_email=email,
                requester=customer,
                subject=subject,
                description=description,
                priority=priority,
                answers={
                    "product": "CrashPlan for Small Business",
                    "os": ["Windows 11 23H2", "macOS 14.5", "Ubuntu 22.04"][index % 3],
                    "app_version": version,
                    "device_guids": [str(880000000000000000 + index * 7919)],
                    "destinations": ["CrashPlan cloud"],
                },
            )
            agent = agents[index % len(agents)]
            agent_membership = Membership.objects.get(user=agent)
            customer_membership = Membership.objects.get(user=customer)
            for who, body, submit_as in replies:
                services.ticket_reply(
                    ticket=ticket,
                    author=agent if who == "agent" else customer,
                    membership=agent_membership if who == "agent" else customer_membership,
                    body=body,
                    submit_as=submit_as if who == "agent" else None,
                )
            # Spread the desk over the last days so ages and due times look lived-in.
            self._backdate(ticket, now - timedelta(hours=6 + index * 9))
        self._closed_with_follow_up(agents[0])

    def _closed_with_follow_up(self, agent) -> None:
        User = get_user_model()
        customer = User.objects.get(email="lee@bluebird.example.com")
        ticket = services.ticket_submit(
            requester_email=customer.email,
            requester=customer,
            subject="Cannot sign in to the web console",
            description="The console says my password is wrong, but it works in the app.",
            priority=Priority.HIGH,
            answers={"product": "CrashPlan for Small Business", "app_version": "11.4.1"},
        )
        services.ticket_reply(
            ticket=ticket,
            author=agent,
            membership=Membership.objects.get(user=agent),
            body="The console and the app share the password but the console locks after five "
            "attempts. I unlocked your account; please try again.",
            submit_as=Ticket.Status.SOLVED,
        )
        closing = Ticket.objects.select_for_update().get(pk=ticket.pk)
        lifecycle.transition(closing, Ticket.Status.CLOSED, actor_kind=Actor.AUTOMATION)
        self._backdate(closing, timezone.now() - timedelta(days=6))
        services.ticket_reply(
            ticket=closing,
            author=customer,
            membership=Membership.objects.get(user=customer),
            body="It happened again today after the password change.",
        )

    @staticmethod
    def _backdate(ticket: Ticket, when) -> None:
        """Shift a fresh ticket's whole history back so it starts at ``when``."""
        ticket.refresh_from_db()
        shift_back(ticket, ticket.created_at - when)

    def _volume(self, tenant: Tenant, count: int) -> None:
        rng = random.Random(20261126)  # noqa: S311 (demo data)
        User = get_user_model()
        with tenant_context(tenant):
            customers = list(
                User.objects.filter(memberships__role=Membership.Role.CUSTOMER).values_list(
                    "pk", "email"
                )
            )
            agents = list(
                User.objects.filter(memberships__role__in=Membership.STAFF_ROLES).values_list(
                    "pk", flat=True
                )
            )
            first = ticket_numbers_reserve(count)
        statuses = [("new", 8), ("open", 25), ("pending", 12), ("solved", 10), ("closed", 45)]
        population = [s for s, weight in statuses for _ in range(weight)]
        priorities = [Priority.URGENT] * 5 + [Priority.HIGH] * 15 + [Priority.NORMAL] * 55
        priorities += [Priority.LOW] * 25
        now = timezone.now()
        with tenant_context(tenant):
            policy = sla.SlaPolicy()
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            with tenant_context(tenant):
                tickets = []
                for offset in range(size):
                    number = first + done + offset
                    status = rng.choice(population)
                    created = now - timedelta(minutes=rng.randint(10, 60 * 24 * 365))
                    changed = created + (now - created) * rng.random()
                    customer_pk, email = rng.choice(customers)
                    tickets.append(
                        Ticket(
                            tenant=tenant,
                            number=number,
                            subject=f"{rng.choice(SUBJECTS)} ({number})",
                            requester_email=email,
                            requester_id=customer_pk,
                            assignee_id=rng.choice(agents) if status != "new" else None,
                            priority=rng.choice(priorities),
                            status=status,
                            app_version=rng.choice(["11.4.1", "11.4.1", "11.3.0"]),
                            form_answers={"product": "CrashPlan for Small Business"},
                            created_at=created,
                            status_changed_at=changed,
                            first_replied_at=changed if status != "new" else None,
                            pending_since=changed if status == "pending" else None,
                            solved_at=changed if status in ("solved", "closed") else None,
                            closed_at=changed if status == "closed" else None,
                        )
                    )
                for ticket in tickets:
                    ticket.app_version_outdated = ticket.app_version != tenant.current_app_version
                    ticket.priority_rank = RANK[ticket.priority]
                    ticket.sla_anchor_at = ticket.status_changed_at
                    ticket.next_update_due_at = policy.due(ticket)
                created = Ticket.objects.bulk_create(tickets)
                body = "Volume ticket created by seed_demo --tickets."
                Comment.objects.bulk_create(
                    Comment(
                        tenant=tenant,
                        ticket=t,
                        author_id=t.requester_id,
                        author_email=t.requester_email,
                        body=body,
                        body_html=render(body),
                    )
                    for t in created
                )
                TicketEvent.objects.bulk_create(
                    TicketEvent(
                        tenant=tenant,
                        ticket=t,
                        actor_id=t.requester_id,
                        kind=TicketEvent.Kind.CREATED,
                        after="new",
                        data={"seed": True},
                    )
                    for t in created
                )
            done += size
            self._progress(done, count)
        self.stderr.write("")

    def _progress(self, done: int, total: int) -> None:
        width = 40
        filled = int(width * done / total)
        sys.stderr.write(f"\rTickets [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()


SUBJECTS = [
    "Backup not running since update",
    "Restore of a single file fails",
    "Device shows offline",
    "Cannot add a new device",
    "Question about retention settings",
    "Slow backup over VPN",
    "Error 'destination unavailable'",
    "License seat count is wrong",
    "How do I move the archive to a new computer?",
    "Backup selection keeps resetting",
]
