"""The public side under /public/: the board (公示) of what the bureau chose to publish, and
citizens' reports on the web with a link to follow them and a satisfaction rating. No login."""
