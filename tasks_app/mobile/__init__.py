"""Officer pages for phones under /m/: my tasks, the task page, patrol reports, offline queue."""
