from __future__ import annotations


def enqueue_for_task(task_id: int) -> None:
    """Filled in by the escalation engine (outbox rows and the sender job)."""
