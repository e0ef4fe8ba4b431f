"""Form pieces both ticket surfaces use: file fields that type uploads by their content, and
the reply form the portal uses and the agent's extends."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from core.inputs import MAX_BODY_CHARS
from tickets import attachments as files
from tickets.models import TicketFormField

FieldType = TicketFormField.FieldType


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *, file_kind: str, **kwargs):
        self.file_kind = file_kind
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        if len(uploads) > settings.ATTACHMENT_MAX_FILES_PER_FIELD:
            raise ValidationError(
                f"Attach at most {settings.ATTACHMENT_MAX_FILES_PER_FIELD} files here."
            )
        accepted, errors = [], []
        for upload in uploads:
            try:
                files.check_size(upload)
                sniffed = files.sniff(upload, self.file_kind)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                accepted.append((upload, sniffed.content_type))
        # Keep what passed, so the view can stage it even when this field reports errors.
        self.accepted = accepted
        if errors:
            raise ValidationError(errors)
        return accepted


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown is supported.",
    )
    files = MultipleFileField(
        file_kind=TicketFormField.FileKind.LOGS, required=False, label="Attach logs"
    )
    screenshots = MultipleFileField(
        file_kind=TicketFormField.FileKind.IMAGES, required=False, label="Attach screenshots"
    )

    def uploads(self) -> list[tuple[str, object, str]]:
        """(field name, upload, sniffed content type) for every accepted file."""
        return [
            (name, upload, content_type)
            for name in ("files", "screenshots")
            for upload, content_type in getattr(self.fields[name], "accepted", [])
        ]
