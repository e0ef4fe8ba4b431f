from django import forms

from tickets import events as event_kinds


def event_choices() -> list[tuple[str, str]]:
    return sorted(event_kinds.choices(), key=lambda choice: choice[1])


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=500,
        assume_scheme="https",
        help_text="An https:// address that accepts POST requests with a JSON body.",
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label="Ticket events to send",
        widget=forms.CheckboxSelectMultiple,
        choices=event_choices,
    )


class EndpointEditForm(EndpointForm):
    active = forms.BooleanField(label="Active: send deliveries", required=False)
