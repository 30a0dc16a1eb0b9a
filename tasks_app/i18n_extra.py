"""Strings that other packages show in the console but do not translate into zh-hans: the admin
index's table headers (missing from Django's own zh_Hans catalogue) and django-axes' names of
its records and fields. Marked here so ``makemessages`` keeps them in the project's catalogue;
nothing imports this module."""

from __future__ import annotations

from django.utils.translation import gettext_noop

STRINGS = [
    # django.contrib.admin: templates/admin/app_list.html
    gettext_noop("Model name"), gettext_noop("Add link"), gettext_noop("Change or view list link"),
    # django-axes: models and admin
    gettext_noop("access attempt"), gettext_noop("access attempts"),
    gettext_noop("access log"), gettext_noop("access logs"),
    gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"), gettext_noop("IP Address"), gettext_noop("HTTP Accept"),
    gettext_noop("Path"), gettext_noop("Attempt Time"), gettext_noop("Access lock out"),
    gettext_noop("GET Data"), gettext_noop("POST Data"), gettext_noop("Failed Logins"),
    gettext_noop("Expires At"), gettext_noop("Logout Time"), gettext_noop("Locked Out"),
    gettext_noop("Form Data"), gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"), gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
]
