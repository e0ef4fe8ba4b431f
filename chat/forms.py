from django import forms

from chat.models import TOPIC_MAX_CHARS
from core.inputs import ticket_number_in
from desk.priorities import Priority


class PreChatForm(forms.Form):
    name = forms.CharField(max_length=100, label="Your name")
    email = forms.EmailField(
        label="Email", help_text="For the transcript, and to reach you if the chat is cut off."
    )
    topic = forms.CharField(
        max_length=TOPIC_MAX_CHARS,
        label="What can we help with?",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": TOPIC_MAX_CHARS}),
        help_text="A sentence is enough; the agent reads it before joining.",
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Tell us your name.")
        return name


class TransferForm(forms.Form):
    agent = forms.ChoiceField(label="Hand over to")

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "Choose an agent…")] + [
            (str(user.pk), user.display_name) for user in agents
        ]


class ChatTicketForm(forms.Form):
    subject = forms.CharField(max_length=200, label="Subject")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)


class AttachForm(forms.Form):
    number = forms.CharField(max_length=20, label="Ticket number")

    def clean_number(self):
        number = ticket_number_in(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError("Enter a ticket number, such as 1042 or #1042.")
        return number
