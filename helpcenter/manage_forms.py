"""Forms of the help center's staff pages. Every value a manager or an agent sends is checked
here, so the services receive plain, valid data and hostile input ends as a form error (NUL
and other control characters, digits of other scripts, megabytes, unknown choices), never as
a 500. Markup needs no check: titles are escaped wherever they are shown and bodies go through
``tickets.rendering.render``."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from helpcenter.models import BODY_MAX, LANGUAGES, TITLE_MAX, Article, Category, Section
from helpcenter.services import RESERVED_SLUGS

SLUG_MAX = 80
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CONTROL_MESSAGE = (
    "Remove the invisible control characters (they often come with text pasted from a "
    "terminal or a PDF)."
)


def _has_control(value: str, *, allowed: str = "") -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


class LineField(forms.CharField):
    """One line of text: surrounding and repeated spaces dropped, no control characters."""

    def to_python(self, value):
        value = super().to_python(value)
        if _has_control(value):
            raise ValidationError(CONTROL_MESSAGE, code="control")
        return " ".join(value.split())


class MarkdownField(forms.CharField):
    """A Markdown body: line breaks and tabs are text; other control characters are refused
    (search uses two of them as highlight markers)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if _has_control(value, allowed="\t\n\r"):
            raise ValidationError(CONTROL_MESSAGE, code="control")
        return value.strip("\n\r ")


class ObjectChoiceField(forms.ChoiceField):
    """A choice among rows, offered as ``(id, label)`` (optionally grouped), returned as the row.
    A value is looked up only if it is one of the ids offered: nothing else reaches a query."""

    def __init__(self, *, rows_by_id: dict[str, object] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rows_by_id = rows_by_id or {}

    def clean(self, value):
        value = super().clean(value)
        return self.rows_by_id.get(value) if value else None


def _slug_problem(slug: str) -> str:
    if not _SLUG.fullmatch(slug):
        return "Use lowercase letters, digits and single hyphens (like reset-your-password)."
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved for the help center's own pages."
    return ""


# --- Settings -----------------------------------------------------------------------------------


class HelpCenterForm(forms.Form):
    title = LineField(label="Title", max_length=120, help_text="Shown at the top of every page.")
    language = forms.ChoiceField(
        label="Search language",
        choices=LANGUAGES,
        help_text="How words are matched: “restoring” finds “restore” in English.",
    )


# --- Structure ----------------------------------------------------------------------------------


class CategoryForm(forms.Form):
    name = LineField(label="Name", max_length=100)
    description = LineField(label="Description", max_length=300, required=False)

    def __init__(self, *args, category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category

    def clean_name(self):
        name = self.cleaned_data["name"]
        others = Category.objects.filter(name__iexact=name)
        if self.category is not None:
            others = others.exclude(pk=self.category.pk)
        if others.exists():
            raise ValidationError("Another category has this name.")
        return name


class SectionForm(forms.Form):
    category = ObjectChoiceField(label="Category")
    name = LineField(label="Name", max_length=100)
    description = LineField(label="Description", max_length=300, required=False)

    def __init__(self, *args, section: Section | None = None, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        categories = list(categories if categories is not None else Category.objects.all())
        field = self.fields["category"]
        field.choices = [("", "Choose a category"), *((str(c.pk), c.name) for c in categories)]
        field.rows_by_id = {str(c.pk): c for c in categories}

    def clean(self):
        data = super().clean()
        category, name = data.get("category"), data.get("name")
        if category is not None and name:
            others = Section.objects.filter(category=category, name__iexact=name)
            if self.section is not None:
                others = others.exclude(pk=self.section.pk)
            if others.exists():
                self.add_error("name", f"“{category.name}” already has a section with this name.")
        return data


# --- Articles -----------------------------------------------------------------------------------

# The editor's buttons: what each does to the article's status (``None``: keep it).
ARTICLE_ACTIONS = {
    "preview": None,
    "save": None,
    "publish": Article.Status.PUBLISHED,
    "unpublish": Article.Status.DRAFT,
}


class ArticleForm(forms.Form):
    title = LineField(label="Title", max_length=TITLE_MAX)
    section = ObjectChoiceField(
        label="Section",
        required=False,
        help_text="Where readers find it. A draft may wait without one; publishing needs one.",
    )
    body = MarkdownField(
        label="Article",
        max_length=BODY_MAX,
        required=False,
        help_text="Markdown: **bold**, _italic_, lists, `code`, [links](https://…), ## headings.",
    )
    slug = forms.CharField(
        label="Address",
        max_length=SLUG_MAX,
        required=False,
        help_text="The last part of the article's public address. Leave it empty to make one "
        "from the title. Changing it breaks links already sent to customers.",
    )

    def __init__(self, *args, article: Article | None = None, action: str = "", **kwargs):
        if article is not None:
            kwargs["initial"] = {
                "title": article.title,
                "section": str(article.section_id or ""),
                "body": article.body,
                "slug": article.slug,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        self.article = article
        self.action = action
        sections = list(
            Section.objects.select_related("category").order_by(
                "category__position", "category__name", "position", "name"
            )
        )
        groups: dict[str, list[tuple[str, str]]] = {}
        for section in sections:
            groups.setdefault(section.category.name, []).append((str(section.pk), section.name))
        field = self.fields["section"]
        field.choices = [("", "No section yet"), *groups.items()]
        field.rows_by_id = {str(s.pk): s for s in sections}
        self.fields["title"].widget.attrs.update({"autocomplete": "off", "spellcheck": "true"})
        self.fields["body"].widget.attrs["maxlength"] = str(BODY_MAX)
        if action == "preview":
            # A preview shows the body as readers will see it, whatever else is unfinished.
            self.fields["title"].required = False

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip()
        if not slug:
            return ""
        problem = _slug_problem(slug)
        if problem:
            raise ValidationError(problem)
        others = Article.objects.filter(slug=slug)
        if self.article is not None:
            others = others.exclude(pk=self.article.pk)
        if others.exists():
            raise ValidationError("Another article has this address.")
        return slug

    def clean(self):
        data = super().clean()
        publishing = self.action == "publish" or (
            self.action == "save" and self.article is not None and self.article.is_published
        )
        if publishing and "section" in data and data["section"] is None:
            self.add_error(
                "section", "Choose a section before publishing: readers find articles by it."
            )
        return data


# --- Report -------------------------------------------------------------------------------------
