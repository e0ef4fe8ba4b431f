"""Platform admin for the desk's settings (base host only, inside cross_tenant())."""

from django.contrib import admin

from desk.models import PriorityLevel
from tenants.admin import TenantOwnedAdmin


@admin.register(PriorityLevel)
class PriorityLevelAdmin(TenantOwnedAdmin):
    list_display = ["tenant", "priority", "summary"]
    list_filter = ["tenant"]
