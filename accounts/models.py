from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from core.time_zones import MAX_ZONE_CHARS, validate_time_zone
from tenants.models import TenantOwned


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """One person, across tenants. What they are in a tenant is their ``Membership`` there.

    ``is_staff``/``is_superuser`` are about the platform (Django admin on the base host) only;
    roles inside a tenant never come from these flags.
    """

    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the platform admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when mail to this address bounced or was marked as spam: we stop sending to it.
    email_bounced_at = models.DateTimeField(null=True, blank=True)
    # The zone pages show times in for this person (an IANA name). Blank until they choose one
    # or their browser reports it on a first visit; pages then use the browser's or the
    # tenant's zone (accounts.middleware).
    time_zone = models.CharField(
        max_length=MAX_ZONE_CHARS, blank=True, default="", validators=[validate_time_zone]
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Email is the login: one account per address whatever its case.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [
            # "Which of these addresses bounced?" (every email batch and send asks): only the
            # few bounced accounts are in it, where the unique index above would be probed
            # once per address of the batch (8 ms per 1,000 at 50,000 accounts).
            models.Index(
                Lower("email"),
                name="user_bounced_email",
                condition=models.Q(email_bounced_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.shown_name(self.name, self.email)

    @staticmethod
    def shown_name(name: str, email: str) -> str:
        """How a person is named on pages: their name, else their address's local part (for
        lists read as plain values, without a User object)."""
        return name or email.split("@")[0]


class ApiToken(TenantOwned):
    """A person's API token for one helpdesk (``Authorization: Bearer hd_…``).

    Only a SHA-256 digest of the token is stored (the token is 32 random bytes: nothing to
    guess, so no slow hash is needed); the person sees the token once, when it is made.
    ``prefix`` (its first characters) tells tokens apart in lists. A read token may only read.
    """

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwned.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tenant", "digest"], name="api_token_digest_unique")
        ]
        indexes = [models.Index(fields=["tenant", "user", "-created_at"], name="api_token_user")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
