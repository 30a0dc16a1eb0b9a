"""Reference data in the console asks authority, not only Django's model permissions.

Places, people, duties, categories, calendars, schemes, campaigns and Open311 clients are
edited by bureau administrators alone; street leaders and district supervisors read the rows of
their area; nobody saves a duty, scheme or officer record that decides their own scope or score.
The groups' model permissions (seeds) still have to allow an action too: authority decides on
top of them, so a group granted too much by hand cannot undo the rule.

``gridmgmt`` never imports ``tasks_app``, so its ModelAdmin classes are registered from here,
each wrapped with the mixin (``with_authority``). Admins of other apps (users, groups, API
tokens, schedules, lock-outs) are the superusers' alone (``superuser_only``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction

from gridmgmt.models import Duty, Grid, Officer, Region

from .. import authority

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # The mixins' super() is the admin class they are mixed into (with_authority).
    from django.contrib.admin.options import InlineModelAdmin

    _AdminBase = admin.ModelAdmin[Any]
    _InlineBase = InlineModelAdmin[Any, Any]
else:
    _AdminBase = _InlineBase = object


def _authority(request) -> authority.Authority:
    # One per request: the admin asks several times while rendering one page.
    cached = getattr(request, "_reference_authority", None)
    if cached is None or cached.user is not request.user:
        cached = authority.of(request.user)
        request._reference_authority = cached
    return cached


# Rows that decide whose dashboard scope is what: once a change to them is committed the worker
# reads every console user's trend again (``jobs.warm_dashboards_job``), so that a new duty's or
# a moved grid's first dashboard view is not the one that reads 90 days.
SCOPE_MODELS = frozenset({Duty, Grid, Region, Officer})


def _warm_dashboards() -> None:
    from ..jobs import warm_dashboards_job

    try:
        warm_dashboards_job.apply_async(retry=False)
    except Exception:  # broker unreachable: the first views read, and the night's run warms
        log.warning("Broker unreachable; dashboards are warmed by the nightly run.")


def scopes_changed(model: type) -> None:
    if model in SCOPE_MODELS:
        transaction.on_commit(_warm_dashboards)


class AuthorityAdminMixin(_AdminBase):
    """A ModelAdmin of a reference model: authority decides view, add, change, delete and the
    rows listed."""

    def has_module_permission(self, request) -> bool:
        return super().has_module_permission(request) and \
            _authority(request).can_view_reference()

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and \
            _authority(request).can_view_reference()

    def has_add_permission(self, request, *args) -> bool:
        return super().has_add_permission(request, *args) and \
            _authority(request).can_edit_reference(self.model)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and \
            _authority(request).can_edit_reference(self.model, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and \
            _authority(request).can_delete_reference(self.model, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = _authority(request).reference_scope(self.model)
        return qs if scope is None else qs.filter(scope)

    def save_model(self, request, obj, form, change) -> None:
        # Asked again of the row as it will be saved: a duty moved onto oneself is refused even
        # when the duty it was is not one's own. The admin's transaction rolls back.
        if not _authority(request).can_edit_reference(self.model, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
        scopes_changed(self.model)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        scopes_changed(self.model)

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        scopes_changed(self.model)

    def save_formset(self, request, form, formset, change) -> None:
        who = _authority(request)
        for row in formset.forms:
            if row.has_changed() and not who.can_edit_reference(type(row.instance),
                                                                row.instance):
                raise PermissionDenied
        super().save_formset(request, form, formset, change)
        scopes_changed(formset.model)


class AuthorityInlineMixin(_InlineBase):
    """An inline of a reference model: editable only where its page and its own rows are."""

    def _editable(self, request, obj, *, delete: bool = False) -> bool:
        who = _authority(request)
        parent = self.parent_model
        if obj is not None and not who.can_edit_reference(parent, obj):
            return False
        if delete:
            return who.can_delete_reference(self.model)
        return who.can_edit_reference(self.model)

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and \
            _authority(request).can_view_reference()

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self._editable(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and \
            self._editable(request, obj, delete=True)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = _authority(request).reference_scope(self.model)
        return qs if scope is None else qs.filter(scope)


def with_authority(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """``admin_class`` (and its inlines) asking authority."""
    inlines = [type(inline.__name__, (AuthorityInlineMixin, inline), {})
               for inline in admin_class.inlines]
    return type(admin_class.__name__, (AuthorityAdminMixin, admin_class), {"inlines": inlines})


class SuperuserOnlyMixin(_AdminBase):
    """Logins, groups, API tokens, schedules and lock-outs: superusers only. A group granting
    e.g. ``add_token`` by mistake would otherwise let staff log in as anyone."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return self.has_module_permission(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and \
            super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request) and \
            super().has_delete_permission(request, obj)


def superuser_only(site: admin.AdminSite, app_labels: set[str]) -> None:
    """Re-register every admin of ``app_labels`` for superusers only."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label not in app_labels or isinstance(model_admin,
                                                                  SuperuserOnlyMixin):
            continue
        cls = type(model_admin)
        site.unregister(model)
        site.register(model, type(cls.__name__, (SuperuserOnlyMixin, cls), {}))
