from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static


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
