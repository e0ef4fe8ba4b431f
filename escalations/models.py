# Escalation models arrive with the escalations issue.
