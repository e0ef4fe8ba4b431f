from django.db.models import Count, Q

from webhooks.models import Delivery, Endpoint

LATEST = 50


def endpoints():
    return Endpoint.objects.annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED))
    ).order_by("url", "id")


def latest_deliveries(endpoint: Endpoint) -> list[Delivery]:
    return list(endpoint.deliveries.order_by("-created_at", "-id")[:LATEST])
