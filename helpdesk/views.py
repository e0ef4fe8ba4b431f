from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


def platform_home(request):
    return render(request, "platform/home.html")


def healthz(request):
    """Liveness and database reachability, for load balancers and the demo smoke test."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
