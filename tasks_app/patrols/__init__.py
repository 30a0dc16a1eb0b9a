"""Patrols (巡查): road chiefs and grid officers walk their roads and grids with the phone; the
check-ins say which roads and grids were covered; each road and grid has a required patrol
frequency, coverage shows on the console, and a place left unpatrolled alerts its chief."""
