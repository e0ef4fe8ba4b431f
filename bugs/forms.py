"""Forms of the bug report pages. The services check everything again (the API will call them
too); the forms keep what was typed and show each problem at its field."""

from __future__ import annotations

from django import forms

from bugs.models import BugReport
from bugs.services import TEXT_MAX, TITLE_MAX

STATUS_FILTERS = [("open", "Unresolved"), ("", "All statuses"), *BugReport.Status.choices]


class BugForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX)
    summary = forms.CharField(
        required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    steps = forms.CharField(
        label="Steps to reproduce",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    severity = forms.ChoiceField(choices=BugReport.Severity.choices)
    scope = forms.ChoiceField(choices=BugReport.Scope.choices, label="Customers affected")
    affected_versions = forms.CharField(
        required=False,
        max_length=200,
        label="Affected versions",
        help_text="Version numbers, separated by commas (11.3, 11.4.1).",
    )
    tracker_url = forms.CharField(
        required=False, max_length=500, label="External tracker link", help_text="Internal only."
    )
    # Chosen from the staff list by its exact value: nothing else reaches a query.
    owner = forms.ChoiceField(required=False, label="Owner")

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(m.user_id): m.user for m in staff}
        self.fields["owner"].choices = [("", "Nobody yet")] + [
            (pk, user.display_name) for pk, user in self.staff.items()
        ]

    def clean_owner(self):
        return self.staff.get(self.cleaned_data["owner"])


class FileForm(BugForm):
    """Filing from a ticket: the same fields, and the confirmation an unsupported version needs."""

    confirm_version = forms.BooleanField(
        required=False, label="File it anyway: I checked this happens in a supported version"
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=BugReport.Status.choices)
    fixed_in = forms.CharField(required=False, max_length=40, label="Fixed in version")
    duplicate_of = forms.ChoiceField(required=False, label="Duplicate of")

    def __init__(self, *args, originals, **kwargs):
        super().__init__(*args, **kwargs)
        self.originals = {str(r.pk): r for r in originals}
        self.fields["duplicate_of"].choices = [("", "—")] + [
            (pk, f"#{r.number} {r.title}") for pk, r in self.originals.items()
        ]

    def clean_duplicate_of(self):
        return self.originals.get(self.cleaned_data["duplicate_of"])


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Internal comment", max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    severity = forms.ChoiceField(
        choices=[("", "Any severity"), *BugReport.Severity.choices], required=False
    )
    version = forms.RegexField(
        regex=r"^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$",
        required=False,
        max_length=40,
        error_messages={"invalid": "A version number such as 11.4.1."},
    )
    q = forms.CharField(required=False, max_length=200, label="Search")


class LinkSearchForm(forms.Form):
    # Not "q": the workspace's top bar fills its ticket search from that parameter.
    find = forms.CharField(required=False, max_length=200, label="Title or number")
