"""Forms of the public help center (the managers' are in ``manage_forms``)."""

from django import forms

from helpcenter import search

# A query string is cut to this before it is cleaned: a megabyte of ``q`` costs nothing.
RAW_QUERY_MAX = 1000


class PublicSearchForm(forms.Form):
    """The search box (home, every help page, results). Never invalid: whatever is typed is
    cleaned to at most ``search.QUERY_MAX_CHARS`` printable characters, possibly nothing."""

    q = forms.CharField(
        required=False,
        label="Search the help center",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Search for answers",
                "autocomplete": "off",
                "enterkeyhint": "search",
            }
        ),
    )

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {"q": search.clean_query(str(data.get("q", ""))[:RAW_QUERY_MAX])}
        super().__init__(data, **kwargs)

    @property
    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class PublicVoteForm(forms.Form):
    """ "Was this article helpful?": the Yes and No buttons post ``helpful=yes|no``."""

    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes"
    )
