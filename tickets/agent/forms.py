"""The agent's forms: the reply (or internal note) with its status, macros, and merging,
splitting and linking tickets."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator

from core.inputs import MAX_BODY_CHARS, parse_id, ticket_number_in
from desk.priorities import Priority
from tickets.agent.time_forms import TimeSpentField
from tickets.forms import ReplyForm
from tickets.lifecycle import AGENT_SUBMIT_AS
from tickets.models import Macro, Ticket


class AgentReplyForm(ReplyForm):
    body = forms.CharField(
        label="Message", max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 6})
    )
    public = forms.TypedChoiceField(
        label="Visibility",
        choices=[("1", "Public reply"), ("0", "Internal note")],
        coerce=lambda value: value == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    submit_as = forms.ChoiceField(
        label="Submit as",
        choices=[(s, Ticket.Status(s).label) for s in AGENT_SUBMIT_AS],
        required=False,
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=[("", "Keep as it is"), *Priority.choices],
        required=False,
        help_text="A macro may set it; change it here before sending.",
    )
    # Logged with the message when given (tickets.timelog).
    time_spent = TimeSpentField(required=False)

    def fill_from(self, macro: Macro) -> None:
        """Start the reply from a macro: its text, status and priority, ready to edit."""
        self.initial.update(
            {"public": "1", "body": macro.body, "submit_as": macro.submit_as or "open"}
        )
        if macro.priority:
            self.initial["priority"] = macro.priority


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = ["name", "body", "submit_as", "priority", "position"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A macro becomes a reply: the same limit as any reply body.
        self.fields["body"].max_length = MAX_BODY_CHARS
        self.fields["body"].validators.append(MaxLengthValidator(MAX_BODY_CHARS))
        self.fields["body"].widget.attrs["maxlength"] = str(MAX_BODY_CHARS)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = Macro.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another macro has this name.")
        return name


class TicketNumberField(forms.CharField):
    """A ticket number as a person types it ("12" or "#12"), as an int."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 25)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        number = ticket_number_in(super().clean(value) or "")
        if number is None:
            raise forms.ValidationError("Enter a ticket number, such as 12 or #12.")
        return number


class MergeForm(forms.Form):
    target = TicketNumberField(
        label="Merge into ticket",
        help_text="The number of the ticket that continues; this one is closed into it.",
    )
    # Set by the confirmation step: the agent has seen both tickets side by side.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class LinkForm(forms.Form):
    ticket = TicketNumberField(label="Link to ticket")


class SplitForm(forms.Form):
    comment = forms.CharField(widget=forms.HiddenInput, max_length=25)
    subject = forms.CharField(label="Subject of the new ticket", max_length=200)

    def clean_comment(self):
        pk = parse_id(self.cleaned_data["comment"])
        if pk is None:
            raise forms.ValidationError("Choose a message of this ticket.")
        return pk
