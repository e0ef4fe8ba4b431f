from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.8333 -> "83%"; None (nothing to divide) -> an em dash."""
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def percent_number(value) -> int:
    return 0 if value is None else round(value * 100)
