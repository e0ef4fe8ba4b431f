from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from tenants.context import tenant_context
from tenants.demo import (
    DEMO_ORGANIZATIONS,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_TENANT,
    SECOND_TENANT,
)
from tenants.models import Membership, Organization, Tenant
from tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create the demo tenant (run to the support policy), a second tenant and demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--quiet-logins", action="store_true", help="Do not print the demo logins."
        )

    @transaction.atomic
    def handle(self, *args, **options):
        tenants = [self._tenant(dict(DEMO_TENANT)), self._tenant(dict(SECOND_TENANT))]
        for tenant in tenants:
            with tenant_context(tenant):
                self._people(tenant)
        if not options["quiet_logins"]:
            demo = tenants[0]
            self.stdout.write(f"Demo helpdesk: {demo.url()}")
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for email, _name, role, _org in DEMO_PEOPLE[demo.slug]:
                self.stdout.write(f"  {role:<9} {email}")
            self.stdout.write(f"Second tenant: {tenants[1].url()}")

    def _tenant(self, spec: dict) -> Tenant:
        existing = Tenant.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            return existing
        return tenant_create(**spec)

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
