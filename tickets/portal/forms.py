"""The portal's ticket submission form, built from the tenant's own questions."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.inputs import MAX_BODY_CHARS
from desk.priorities import Priority
from desk.versions import VERSION_RE
from tickets.forms import MultipleFileField
from tickets.models import TicketFormField

FieldType = TicketFormField.FieldType

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,149}$")
# Device GUIDs are long decimal numbers in the vendor's console; UUIDs are accepted too.
NUMERIC_GUID_RE = re.compile(r"^\d{10,20}$")


def split_list(value: str) -> list[str]:
    """Entries one per line (commas and semicolons separate too); spaces never split one, so
    "Jane Doe" stays one entry and is judged as written."""
    parts = (
        part.strip() for line in (value or "").splitlines() for part in re.split(r"[,;]", line)
    )
    return [part for part in parts if part]


def validate_email_entries(entries: list[str], *, allow_usernames: bool) -> None:
    bad = []
    for entry in entries:
        if "@" in entry or not allow_usernames:
            try:
                validate_email(entry)
            except ValidationError:
                bad.append(entry)
        elif not USERNAME_RE.match(entry):
            bad.append(entry)
    if bad:
        kind = "email addresses or usernames" if allow_usernames else "email addresses"
        raise ValidationError(f"These are not valid {kind}: {', '.join(bad)}.")


def validate_guid_entries(entries: list[str]) -> None:
    bad = []
    for entry in entries:
        if NUMERIC_GUID_RE.match(entry):
            continue
        try:
            uuid.UUID(entry)
        except ValueError:
            bad.append(entry)
    if bad:
        raise ValidationError(
            f"These are not computer IDs (GUIDs): {', '.join(bad)}. A GUID is a 10–20 digit "
            "number, or a UUID such as 3f2b8c1e-9d4a-4e57-8f6b-2a1c0d9e7b35."
        )


def _field_for(definition: TicketFormField) -> forms.Field:
    common = {
        "label": definition.label,
        "help_text": definition.help_text,
        "required": definition.required,
    }
    match definition.field_type:
        case FieldType.SHORT_TEXT:
            return forms.CharField(max_length=500, **common)
        case FieldType.LONG_TEXT:
            return forms.CharField(
                max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 8}), **common
            )
        case FieldType.CHOICE:
            choices = [(c, c) for c in definition.choices]
            return forms.ChoiceField(choices=[("", "Choose…"), *choices], **common)
        case FieldType.MULTI_CHOICE:
            return forms.MultipleChoiceField(
                choices=[(c, c) for c in definition.choices],
                widget=forms.CheckboxSelectMultiple,
                **common,
            )
        case FieldType.EMAIL_LIST:
            return ListField(
                validator=lambda entries: validate_email_entries(
                    entries, allow_usernames=definition.allow_usernames
                ),
                **common,
            )
        case FieldType.GUID_LIST:
            return ListField(validator=validate_guid_entries, **common)
        case FieldType.VERSION:
            return forms.RegexField(
                regex=VERSION_RE,
                max_length=40,
                error_messages={"invalid": "Enter a version number such as 11.4.1."},
                **common,
            )
        case FieldType.FILES:
            return MultipleFileField(file_kind=definition.file_kind, **common)
    raise ValueError(f"Unknown field type {definition.field_type!r}")


class ListField(forms.CharField):
    """A list in a textarea, one entry per line (or comma-separated), validated entry by entry."""

    def __init__(self, *, validator, **kwargs):
        self.entry_validator = validator
        super().__init__(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), **kwargs)

    def clean(self, value):
        text = super().clean(value)
        entries = split_list(text)
        if entries:
            self.entry_validator(entries)
        return entries


class TicketSubmissionForm(forms.Form):
    """Email (when signed out), subject, impact, then the tenant's own questions."""

    email = forms.EmailField(
        label="Your email address",
        help_text="We send updates here. To follow the ticket online, create an account with it.",
    )
    subject = forms.CharField(max_length=200, label="Subject")
    priority = forms.ChoiceField(
        label="How much does this affect your work?",
        choices=Priority.choices,
        initial=Priority.NORMAL,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label="Describe the question or problem in detail",
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you did, what you expected and what happened instead; for a possible "
        "bug, the steps that make it happen again. Markdown is supported.",
    )
    staging_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        definitions: list[TicketFormField],
        signed_in: bool,
        staged_field_keys: set[str] = frozenset(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        if signed_in:
            del self.fields["email"]
        for definition in definitions:
            field = _field_for(definition)
            if definition.key in staged_field_keys:
                field.required = False  # files kept from the previous attempt answer it
            self.fields[f"q_{definition.key}"] = field

    def questions_before_description(self):
        limit = TicketFormField.DESCRIPTION_POSITION
        return [self[f"q_{d.key}"] for d in self.definitions if d.position < limit]

    def questions_after_description(self):
        limit = TicketFormField.DESCRIPTION_POSITION
        return [self[f"q_{d.key}"] for d in self.definitions if d.position >= limit]

    def file_fields(self) -> dict[str, MultipleFileField]:
        return {
            d.key: self.fields[f"q_{d.key}"]
            for d in self.definitions
            if d.field_type == FieldType.FILES
        }

    def answers(self) -> dict:
        """The tenant questions' cleaned answers, files excluded (they become attachments)."""
        return {
            d.key: self.cleaned_data.get(f"q_{d.key}")
            for d in self.definitions
            if d.field_type != FieldType.FILES
        }

    def uploads(self) -> list[tuple[str, object, str]]:
        """(field key, upload, sniffed content type) for every accepted file."""
        return [
            (key, upload, content_type)
            for key, field in self.file_fields().items()
            for upload, content_type in getattr(field, "accepted", [])
        ]
