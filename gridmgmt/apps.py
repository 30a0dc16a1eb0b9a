from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridmgmtConfig(AppConfig):
    name = "gridmgmt"
    verbose_name = _("Grids and responsibility")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from .db import fast_timestamps

        connection_created.connect(fast_timestamps, dispatch_uid="fast_timestamps")

        from .models import CalendarDay, Grid, Road, WorkCalendar, WorkPeriod
        from .services import forget_reference_data
        from .worktime import touch_calendar

        # The map index and the work calendar are cached per process (gridmgmt.services,
        # gridmgmt.worktime) behind stamps every process reads. A save here also drops this
        # process's copies at once, and a period or day moves its calendar's stamp.
        for model in (Grid, Road, WorkCalendar):
            post_save.connect(forget_reference_data, sender=model,
                              dispatch_uid=f"forget_reference_data_{model.__name__}_save")
            post_delete.connect(forget_reference_data, sender=model,
                                dispatch_uid=f"forget_reference_data_{model.__name__}_delete")
        for part in (WorkPeriod, CalendarDay):
            post_save.connect(touch_calendar, sender=part,
                              dispatch_uid=f"touch_calendar_{part.__name__}_save")
            post_delete.connect(touch_calendar, sender=part,
                                dispatch_uid=f"touch_calendar_{part.__name__}_delete")
