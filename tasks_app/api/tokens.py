"""The API's token authentication: DRF's, its read also bringing the user's officer and duties,
so that the request's ``Authority`` reads nothing more (one statement where there were two)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import ForeignKey
from rest_framework.authentication import TokenAuthentication

from .. import authority
from .. import rows as raw


class TokenWithOfficerAuthentication(TokenAuthentication):
    """``TokenAuthentication`` with the same answers (a refused token is refused by DRF's own
    read and message); the token, its user, their officer and duties in one read
    (tests/api/test_report_answer.py)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token_model, user_model = self.get_model(), get_user_model()
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {raw.columns(token_model, 't')}, {raw.columns(user_model, 'u')}, "
                f"{authority.officer_columns()} FROM {q(token_model._meta.db_table)} t "
                f"JOIN {q(user_model._meta.db_table)} u ON u.id = t.user_id "
                f"LEFT JOIN ({authority.officer_joins()}) ON o.user_id = u.id "
                "WHERE t.key = %s ORDER BY d.role, d.id", [key])
            found = cursor.fetchall()
        if not found:
            return super().authenticate_credentials(key)  # refused, as DRF refuses it
        n = len(token_model._meta.concrete_fields)
        m = n + len(user_model._meta.concrete_fields)
        token = raw.instances(token_model, [found[0][:n]])[0]
        user = raw.instances(user_model, [found[0][n:m]])[0]
        to_user = token_model._meta.get_field("user")
        assert isinstance(to_user, ForeignKey)  # DRF's Token: a one-to-one to the user
        to_user.set_cached_value(token, user)
        if not user.is_active:
            return super().authenticate_credentials(key)  # refused, as DRF refuses it
        authority.remember_officer(user, found)
        return user, token
