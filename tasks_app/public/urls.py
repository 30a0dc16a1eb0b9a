"""The public pages, mounted at /public/: the board (board_urls) and citizen reporting
(citizen_urls)."""

from __future__ import annotations

from .board_urls import urlpatterns as board
from .citizen_urls import urlpatterns as citizen

app_name = "public"

urlpatterns = [*board, *citizen]
