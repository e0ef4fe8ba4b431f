"""The escalation forms: a customer's request and a manager's decision. The pages and the API
validate with these; the services check everything again."""

from django import forms

from core.time_zones import TimeZoneField
from desk.priorities import Priority
from escalations.models import EscalationAction


class RequestForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        label="Why does this ticket need a manager's attention?",
    )
    requested_priority = forms.ChoiceField(
        choices=Priority.choices, widget=forms.RadioSelect, label="The priority you need"
    )
    contact_phone = forms.RegexField(
        regex=r"^[0-9+()./ -]{6,40}$",
        required=False,
        label="Phone number (optional)",
        error_messages={"invalid": "Enter a phone number with digits, spaces, + ( ) - only."},
    )
    best_times = forms.CharField(required=False, max_length=200, label="Best times to reach you")
    contact_time_zone = TimeZoneField(
        required=False,
        label="Your time zone",
        help_text="So that a call is proposed at a time that suits you. Type a city to search.",
    )


class DecisionForm(forms.Form):
    """One manager decision. Each kind needs its own fields; agents are this tenant's staff."""

    kind = forms.ChoiceField(choices=EscalationAction.Kind.choices, label="Decision")
    at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        label="When",
    )
    channel = forms.CharField(required=False, max_length=100, label="How")
    # Chosen from the staff list by its exact value: no digits of other scripts, no ids past the
    # column's range, no other tenant's agents ever reach a query.
    agent = forms.ChoiceField(required=False, label="Agent")
    priority = forms.ChoiceField(choices=Priority.choices, required=False, label="Priority")
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )

    REQUIRED = {
        EscalationAction.Kind.CONVERSATION: ("at", "Choose the date and time of the call."),
        EscalationAction.Kind.REASSIGN: ("agent", "Choose an agent."),
        EscalationAction.Kind.PRIORITY: ("priority", "Choose a priority."),
    }

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = {str(m.user_id): m.user for m in agents}
        self.fields["agent"].choices = [("", "—")] + [
            (pk, user.display_name) for pk, user in self.staff.items()
        ]

    def clean_agent(self):
        return self.staff.get(self.cleaned_data["agent"])

    def clean(self):
        data = super().clean()
        field, message = self.REQUIRED.get(data.get("kind"), (None, ""))
        if field and field not in self.errors and not data.get(field):
            self.add_error(field, message)
        return data
