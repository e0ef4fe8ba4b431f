from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views import defaults

from core import api_errors


def platform_home(request):
    return render(request, "platform/home.html")


def healthz(request):
    """Liveness and database reachability, for load balancers and the demo smoke test."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def favicon(request):
    """Browsers ask every host for /favicon.ico; the mark is an SVG among the static files."""
    response = redirect(static("favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Django's error pages are HTML; under /api/ every answer is the API's one JSON error body.
def _api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _api(request):
        return JsonResponse(
            api_errors.body("parse_error", "The request could not be read."), status=400
        )
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _api(request):
        return JsonResponse(
            api_errors.body("permission_denied", "You may not do this."), status=403
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _api(request):
        return JsonResponse(api_errors.body("not_found", "Nothing is at this address."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _api(request):
        return JsonResponse(
            api_errors.body("server_error", "Something went wrong on our side; it was logged."),
            status=500,
        )
    return defaults.server_error(request)
