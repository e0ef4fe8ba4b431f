def tenant(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_staff_member": bool(membership and membership.is_staff_role),
        "open_escalations": _open_escalations(request),
    }


def _open_escalations(request):
    from django.utils.functional import SimpleLazyObject

    from escalations.views import open_count_for

    # Lazy: only pages that show the managers' badge pay for the count.
    return SimpleLazyObject(lambda: open_count_for(request))
