"""Admin for Open311: API keys for the systems that post requests, the requests they filed, and
the extra questions (service attributes) a category asks. Imported by config/urls.py, because
this package is not an app the admin discovers by itself."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .. import authority, selectors
from ..console.reference_admin import AuthorityAdminMixin
from ..models import Open311Client, Open311Request, ServiceAttribute


@admin.register(Open311Client)
class Open311ClientAdmin(AuthorityAdminMixin, admin.ModelAdmin):
    """Reference data: bureau administrators issue keys; a client is deactivated, never deleted
    (its requests point at it)."""

    list_display = ["name", "source", "key_prefix", "is_active", "created_at"]
    list_filter = ["is_active", "source"]
    search_fields = ["name", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at"]
    fields = ["name", "source", "is_active", "key_prefix", "created_at"]
    actions = ["issue_new_key"]

    def save_model(self, request, obj, form, change):
        key = obj.issue_key() if not change else None
        super().save_model(request, obj, form, change)
        if key:
            self._show_key(request, obj, key)

    @admin.action(description=_("Issue a new API key (the old one stops working)"),
                  permissions=["change"])
    def issue_new_key(self, request, queryset):
        for client in queryset:
            key = client.issue_key()
            client.save(update_fields=["key_prefix", "key_hash"])
            self._show_key(request, client, key)

    def _show_key(self, request, client, key: str) -> None:
        self.message_user(request, _("API key for %(name)s: %(key)s — copy it now, it is not "
                                     "shown again.") % {"name": client.name, "key": key},
                          messages.WARNING)


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """A record of who filed a task: read-only, limited to the tasks the user may see."""

    list_display = ["task", "client", "created_at"]
    list_filter = ["client"]
    search_fields = ["task__code", "token", "email", "phone"]
    list_select_related = ["task", "client"]
    readonly_fields = [f.name for f in Open311Request._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(
            task__in=selectors.tasks_visible_to(request.user).values("pk"))

    # The citizen's contact: for the supervisors of the task's place only (authority).
    CONTACT = ("email", "phone", "first_name", "last_name", "device_id", "account_id")

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if authority.of(request.user).is_supervisor:
            return fields
        return [f for f in fields if f not in self.CONTACT]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and authority.of(request.user).sees_citizen_contact(obj.task):
            return fields
        return [f for f in fields if f not in self.CONTACT]

    def get_fields(self, request, obj=None):
        # Every field is read-only: the page shows exactly those.
        return self.get_readonly_fields(request, obj)


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(AuthorityAdminMixin, admin.ModelAdmin):
    list_display = ["category", "code", "description", "datatype", "required", "order"]
    list_filter = ["category", "datatype", "required"]
    search_fields = ["code", "description", "category__code", "category__name"]
    list_select_related = ["category"]
