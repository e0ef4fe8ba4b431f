"""Managing the tenant's support addresses (tenant admins)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.errors import Conflict, InvalidInput
from inbox.models import SupportAddress
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
            return SupportAddress.objects.create(
                address=address, accept_unknown_senders=accept_unknown_senders
            )
    except IntegrityError:
        raise Conflict("That address is already in use; choose another.") from None


@transaction.atomic
def address_update(*, address: SupportAddress, accept_unknown_senders: bool) -> SupportAddress:
    address.accept_unknown_senders = accept_unknown_senders
    address.save(update_fields=["accept_unknown_senders", "updated_at"])
    return address


@transaction.atomic
def address_remove(*, address: SupportAddress) -> None:
    address.delete()
