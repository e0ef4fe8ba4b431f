"""An email backend that fails while ``DOWN`` is set, then delivers to Django's locmem outbox."""

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

DOWN = {"value": False}


class FlakyBackend(LocmemBackend):
    def send_messages(self, messages):
        if DOWN["value"]:
            raise ConnectionError("provider unavailable")
        return super().send_messages(messages)
