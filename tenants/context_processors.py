def tenant(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "is_staff_member": bool(membership and membership.is_staff_role),
    }
