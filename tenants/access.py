"""Who may do what inside the current tenant. Views use these; they never compare roles by hand."""

from functools import wraps
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from tenants.models import Membership


def redirect_to_join(request):
    """For a person signed in on this host without a membership: the page where they can join
    (and then come back here). A sign-in page would only send them straight back."""
    return redirect(f"{reverse('portal:join')}?{urlencode({'next': request.get_full_path()})}")


def _require(predicate):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            membership = getattr(request, "membership", None)
            if membership is None and request.user.is_authenticated:
                return redirect_to_join(request)
            if membership is None:
                return redirect_to_login(request.get_full_path())
            if not predicate(membership):
                raise PermissionDenied("Your role in this helpdesk does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


member_required = _require(lambda m: True)
staff_required = _require(lambda m: m.role in Membership.STAFF_ROLES)
manager_required = _require(lambda m: m.is_manager_or_admin)
admin_required = _require(lambda m: m.role == Membership.Role.ADMIN)


def _exporting(request) -> bool:
    return request.GET.get("format") == "csv"


# An export hands data over in bulk: after a role decorator, it asks for the password (or a
# second-factor code) again when the sign-in is older than ACCOUNT_REAUTHENTICATION_TIMEOUT,
# then resumes the download.
recent_sign_in_to_export = reauthentication_required(enabled=_exporting)
