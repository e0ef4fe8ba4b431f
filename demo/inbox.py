"""The demo desk's email channel: a support address and one email that came in on it (through
the real ingest, so it is a ticket of channel Email with its original attached)."""

from __future__ import annotations

from inbox.ingest import ingest
from inbox.models import SupportAddress
from tenants.context import current_tenant

ADDRESS = "help@demo.example.com"
FIRST_EMAIL = (
    "From: Pat Office <pat@northwind.example.com>\r\n"
    f"To: {ADDRESS}\r\n"
    "Subject: Laptop backups skipped while on hotel Wi-Fi\r\n"
    "Message-ID: <demo-email-0001@northwind.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hi,\r\n\r\nTwo of our laptops skipped every backup this week while travelling. The app "
    "says 'waiting for network' although the hotel Wi-Fi works for everything else.\r\n\r\n"
    "Thanks,\r\nPat\r\n\r\n-- \r\nPat Office, Northwind Dental\r\n"
)


def seed_email_channel() -> None:
    """Once: nothing when the demo desk already has a support address."""
    if SupportAddress.objects.exists():
        return
    address = SupportAddress.objects.create(address=ADDRESS)
    ingest(tenant=current_tenant(), raw=FIRST_EMAIL.encode(), address=address)
