"""Managing the tenant's support addresses (tenant admins)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput
from inbox import secrets
from inbox.models import Mailbox, SupportAddress
from tenants import audit
from tenants.context import cross_tenant


@transaction.atomic
def address_add(*, address: str, accept_unknown_senders: bool = True) -> SupportAddress:
    address = address.strip().lower()
    if not address or "@" not in address:
        raise InvalidInput("Enter an email address.")
    # Addresses route mail to one tenant platform-wide: another's is refused, without saying
    # whose it is.
    with cross_tenant():
        taken = SupportAddress.all_tenants.filter(address=address).exists()
    if taken:
        raise Conflict("That address is already in use; choose another.")
    try:
        with transaction.atomic():
            created = SupportAddress.objects.create(
                address=address, accept_unknown_senders=accept_unknown_senders
            )
    except IntegrityError:
        raise Conflict("That address is already in use; choose another.") from None
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Support address added: {address}")
    return created


@transaction.atomic
def address_update(*, address: SupportAddress, accept_unknown_senders: bool) -> SupportAddress:
    address.accept_unknown_senders = accept_unknown_senders
    address.save(update_fields=["accept_unknown_senders", "updated_at"])
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Support address {address.address}",
        detail={"accept_unknown_senders": accept_unknown_senders},
    )
    return address


@transaction.atomic
def address_remove(*, address: SupportAddress) -> None:
    address.delete()
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Support address removed: {address}")


MAILBOX_FIELDS = frozenset(
    {"host", "port", "use_ssl", "username", "folder", "after_import", "move_to", "enabled"}
)


def clean_host(host: str) -> str:
    host = host.strip().lower()
    if not host or not all(ch.isascii() and (ch.isalnum() or ch in ".-") for ch in host):
        raise InvalidInput("A host name such as imap.example.com.")
    return host


def clean_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise InvalidInput("A port between 1 and 65535 (993 for IMAP over TLS).")
    return port


@transaction.atomic
def mailbox_save(*, address: SupportAddress, values: dict, password: str = "") -> Mailbox:
    """Create or change the IMAP mailbox feeding ``address``. An empty ``password`` keeps the
    stored one (required when there is none). Changing where to read starts the folder over
    (what was imported already is recognised by its Message-ID)."""
    unknown = set(values) - MAILBOX_FIELDS
    if unknown:
        raise InvalidInput(f"Not a mailbox setting: {', '.join(sorted(unknown))}.")
    values = dict(values)
    if "host" in values:
        values["host"] = clean_host(values["host"])
    if "port" in values:
        values["port"] = clean_port(values["port"])
    mailbox = Mailbox.objects.filter(address=address).first() or Mailbox(address=address)
    if not password and not mailbox.password_encrypted:
        raise InvalidInput("Enter the mailbox password.")
    moved = any(
        getattr(mailbox, name) != values.get(name, getattr(mailbox, name))
        for name in ("host", "port", "username", "folder")
    )
    for name, value in values.items():
        setattr(mailbox, name, value)
    if password:
        mailbox.password_encrypted = secrets.encrypt(password)
    if moved and mailbox.pk:
        mailbox.uid_validity, mailbox.last_uid = None, 0
    # A changed setting deserves a prompt try, whatever the backoff said.
    mailbox.failures, mailbox.next_poll_at = 0, None
    mailbox.save()
    audit.record(
        audit.Action.SETTINGS_CHANGED,
        target=f"Mailbox for {address.address}",
        detail={**{k: str(v) for k, v in values.items()}, "password_changed": bool(password)},
    )
    return mailbox


@transaction.atomic
def mailbox_remove(*, mailbox: Mailbox) -> None:
    mailbox.delete()
    audit.record(audit.Action.SETTINGS_CHANGED, target=f"Mailbox removed: {mailbox}")
