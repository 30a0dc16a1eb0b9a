from __future__ import annotations

from gridmgmt.errors import DomainError

__all__ = ["DomainError"]
