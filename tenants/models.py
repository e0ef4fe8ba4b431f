from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from core.time_zones import is_known_zone
from tenants.context import current_tenant_or_none, in_cross_tenant_context
from tenants.managers import AllTenantsManager, TenantManager, TenantQuerySet

# Host labels that can never be a tenant: they name the platform or common infrastructure.
RESERVED_SLUGS = frozenset({"www", "admin", "api", "static", "media", "mail", "platform", "app"})

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    "Use 1–40 lowercase letters, digits or hyphens, not starting or ending with a hyphen.",
)


def validate_time_zone(value: str) -> None:
    if not is_known_zone(value):
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/Chicago).")


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(f"{value!r} is reserved.")


class AssignmentMode(models.TextChoices):
    """How a new ticket is given to one of its team's available members (tickets.assignment)."""

    OFF = "off", "Off: tickets wait unassigned"
    ROUND_ROBIN = "round_robin", "Round-robin: members take turns"
    LEAST_OPEN = "least_open", "Least open tickets: whoever has the fewest unsolved"


class Tenant(models.Model):
    """A support organisation, served on ``<slug>.<BASE_DOMAIN>``, with its support settings."""

    slug = models.CharField(
        max_length=40, unique=True, validators=[slug_validator, validate_slug_not_reserved]
    )
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    time_zone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_time_zone]
    )
    holiday_country = models.CharField(
        max_length=8, blank=True, default="US", help_text="Public holidays observed (ISO code)."
    )
    # The policy's closure rules: how long a solved ticket waits before it closes, and a pending
    # one before it is solved. The automation and the public policy page both read these.
    solved_close_delay = models.DurationField(default=timedelta(days=2))
    pending_solve_delay = models.DurationField(default=timedelta(days=4))
    # How long before the automatic solve the customer is reminded that we wait for them.
    pending_reminder_before = models.DurationField(default=timedelta(days=1))
    current_app_version = models.CharField(
        max_length=40, blank=True, help_text="Tickets from an older app version are flagged."
    )
    support_email = models.EmailField(blank=True)
    # Managers aim to act on an escalation request within this much business time.
    escalation_review_minutes = models.PositiveIntegerField(default=4 * 60)
    # Satisfaction surveys, sent after a ticket closes.
    surveys_enabled = models.BooleanField(default=True)
    survey_delay = models.DurationField(default=timedelta(0), help_text="Wait after closing.")
    survey_link_lifetime = models.DurationField(default=timedelta(days=14))
    survey_bad_reasons = models.JSONField(
        default=list, blank=True, help_text="Reasons a customer may pick with a bad rating."
    )
    # An agent who answers an unassigned ticket becomes its assignee.
    assign_on_reply = models.BooleanField(default=True)
    # How new tickets get an assignee among their team's available members (tickets.assignment).
    assignment_mode = models.CharField(
        max_length=16, choices=AssignmentMode.choices, default=AssignmentMode.OFF
    )
    # Customers of one organization see each other's tickets (on their portal and lists).
    share_tickets_in_organization = models.BooleanField(default=False)
    # Agents, managers and admins must sign in with a second factor (accounts.middleware).
    require_staff_second_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(solved_close_delay__gt=timedelta(0))
                & models.Q(pending_solve_delay__gt=timedelta(0)),
                name="tenant_delays_positive",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    def url(self, path: str = "/") -> str:
        port = settings.SITE_PORT
        netloc = f"{self.host}:{port}" if port and port not in (80, 443) else self.host
        return f"{settings.SITE_SCHEME}://{netloc}{path}"


class TenantOwned(models.Model):
    """Base of every row that belongs to a tenant.

    ``objects`` sees the current tenant's rows only and fails closed without one;
    ``all_tenants`` is the greppable way out, usable only inside ``cross_tenant()``. Saving
    stamps the current tenant and refuses to write a row into another tenant.
    PostgreSQL row-level security (``tenants.rls``) enforces the same rule underneath.
    """

    # Not indexed alone: each model's indexes and unique constraints lead with tenant instead.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    all_tenants = AllTenantsManager()

    class Meta:
        abstract = True
        # Related-object access (``membership.organization``) goes through the base manager: it
        # must fail closed as well, or SQLite would return rows that RLS hides on PostgreSQL.
        # Subclasses extend this Meta (``class Meta(TenantOwned.Meta)``) to keep it.
        base_manager_name = "objects"

    def save(self, *args, **kwargs):
        current = current_tenant_or_none()
        if self.tenant_id is None:
            if current is None:
                raise ValidationError("A tenant-owned row needs a tenant (none is current).")
            self.tenant = current
        elif current is not None and self.tenant_id != current.pk:
            raise ValidationError("Refusing to write a row of another tenant.")
        elif current is None and not in_cross_tenant_context():
            raise ValidationError("Writing tenant rows needs tenant_context() or cross_tenant().")
        super().save(*args, **kwargs)


class Organization(TenantOwned):
    """A customer company inside a tenant; its customers may see each other's tickets."""

    name = models.CharField(max_length=200)
    email_domains = models.JSONField(
        default=list, blank=True, help_text="New customers with these email domains join it."
    )
    notes = models.TextField(blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            # Organization names are unique within a tenant, whatever their case.
            models.UniqueConstraint(
                models.F("tenant"), Lower("name"), name="organization_tenant_name_ci"
            ),
        ]

    def __str__(self):
        return self.name


class Membership(TenantOwned):
    """What a user is in one tenant. No membership: a stranger there, treated as anonymous."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    STAFF_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # Staff who are away (holiday, sick, off shift) get no tickets from automatic assignment
    # (tickets.assignment). Set by the person from the workspace's account menu, or by an admin.
    # Separate from chat's "available for chat" switch, which is only about taking chats.
    is_away = models.BooleanField(default=False)

    class Meta(TenantOwned.Meta):
        constraints = [
            # One membership per person and tenant; also serves the per-request lookup.
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user"),
        ]
        indexes = [
            # Team lists and "agents of this tenant" pickers.
            models.Index(fields=["tenant", "role"], name="membership_tenant_role"),
            # Members of an organization.
            models.Index(fields=["tenant", "organization"], name="membership_tenant_org"),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in self.STAFF_ROLES

    @property
    def is_manager_or_admin(self) -> bool:
        return self.role in (self.Role.MANAGER, self.Role.ADMIN)


class AuditQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        # The one change allowed: a deleted person's lines keep their email, lose the link.
        if set(kwargs) <= {"actor", "actor_id"} and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise TypeError("The audit log is append-only.")

    def delete(self):
        raise TypeError("The audit log is append-only.")


class AuditEntry(TenantOwned):
    """One line of a tenant's audit log: who did what, to what, when and from where.

    Append-only: this model refuses updates and deletes, no page edits it, and on PostgreSQL a
    trigger refuses UPDATE and DELETE on the table to the application's role (only a
    deliberate purge, as removing a whole tenant, may delete: ``tenants.audit``).
    """

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        SECOND_FACTOR_FAILED = "second_factor_failed", "Second-factor code refused"
        SECOND_FACTOR_ADDED = "second_factor_added", "Second factor added"
        SECOND_FACTOR_REMOVED = "second_factor_removed", "Second factor removed"
        RECOVERY_CODES_RESET = "recovery_codes_reset", "Recovery codes replaced"
        MEMBER_JOINED = "member_joined", "Joined as a member"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        MEMBER_UNLOCKED = "member_unlocked", "Sign-in unlocked"
        SETTINGS_CHANGED = "settings_changed", "Settings changed"
        EXPORT = "export", "Data exported"
        API_TOKEN_CREATED = "api_token_created", "API token created"
        API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"
        WEBHOOK_ADDED = "webhook_added", "Webhook added"
        WEBHOOK_CHANGED = "webhook_changed", "Webhook changed"
        WEBHOOK_DISABLED = "webhook_disabled", "Webhook switched off after failures"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = TenantManager.from_queryset(AuditQuerySet)()

    class Meta(TenantOwned.Meta):
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="audit_time"),
            models.Index(fields=["tenant", "action", "created_at"], name="audit_action_time"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_email or 'someone'}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is append-only.")
