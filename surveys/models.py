# Survey models arrive with the surveys issue.
