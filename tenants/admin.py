"""Platform admin (base host only). Runs inside cross_tenant(), so it reads via all_tenants."""

from django.contrib import admin

from tenants.models import Membership, Organization, Tenant


class TenantOwnedAdmin(admin.ModelAdmin):
    list_select_related = ["tenant"]

    def get_queryset(self, request):
        return self.model.all_tenants.get_queryset()


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "is_active", "time_zone", "created_at"]
    search_fields = ["slug", "name"]
    list_filter = ["is_active"]


@admin.register(Membership)
class MembershipAdmin(TenantOwnedAdmin):
    list_display = ["user", "tenant", "role", "organization"]
    list_filter = ["role", "tenant"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "organization"]


@admin.register(Organization)
class OrganizationAdmin(TenantOwnedAdmin):
    list_display = ["name", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["name"]
