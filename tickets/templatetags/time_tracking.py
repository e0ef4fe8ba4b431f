from django import template

from core.wording import time_spent

register = template.Library()


@register.filter
def spent(minutes) -> str:
    """Minutes as agents read logged work: "45 min", "1 h 30 min"."""
    return time_spent(minutes or 0)
