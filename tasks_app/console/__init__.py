"""The supervisor console inside the admin: the dashboard on its index, the map, campaign
progress, the task list's badges, filters and bulk actions, and the evaluation download.

Everything here reads through ``selectors`` (scoped by ``tasks_visible_to``) and writes through
``services``; ``states`` defines each figure once, so a number and the list it links to agree.
"""
