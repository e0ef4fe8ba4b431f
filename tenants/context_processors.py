from django.utils.functional import SimpleLazyObject

from tenants.navigation import badges


def tenant(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_staff_member": bool(membership and membership.is_staff_role),
        # Lazy: only pages that show a badge pay for its count.
        "nav_badges": {
            name: SimpleLazyObject(lambda count=count: count(request))
            for name, count in badges().items()
        },
    }
