"""The agent's forms: the reply (or internal note) with its status, and macros."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator

from core.inputs import MAX_BODY_CHARS
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
