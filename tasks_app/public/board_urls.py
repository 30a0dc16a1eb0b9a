"""The public board's pages (no login): /public/ chooses a district; /public/unit/<id>/ is a
district's, street's or community's month; results and their after photos (metadata stripped)."""

from __future__ import annotations

from django.urls import path

from . import board

urlpatterns = [
    path("", board.index, name="board"),
    path("unit/<int:pk>/", board.unit, name="board_unit"),
    path("result/<int:pk>/", board.result, name="board_result"),
    path("photo/<int:pk>/", board.photo, name="board_photo"),
]
