"""A URLconf with one planted bug, to show that the fuzz test's "4xx changes nothing" rule can
fail (tests/test_fuzz_every_form.py)."""

from datetime import date, timedelta

from django.http import HttpResponseBadRequest
from django.urls import path

from desk.models import TenantHoliday
from helpdesk.urls import urlpatterns as real_urlpatterns


def writes_then_refuses(request):
    planted = TenantHoliday.objects.filter(name="Planted").count()
    TenantHoliday.objects.create(date=date(2030, 1, 1) + timedelta(days=planted), name="Planted")
    return HttpResponseBadRequest("refused, but a row was written")


urlpatterns = [path("planted/", writes_then_refuses, name="planted"), *real_urlpatterns]
