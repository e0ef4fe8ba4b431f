"""The demo tenants' configuration.

The first tenant runs the small-business backup vendor's published support policy: chat on
weekdays 08:00–17:00 US Central, web tickets around the clock, four priority levels, a solved
ticket closing after two days and a pending one being solved after four. The wording below is
ours, not the policy's.
"""

from datetime import time, timedelta

from desk.priorities import Priority

# Printed by the demo command; the demo accounts exist only in a local demo database.
DEMO_PASSWORD = "demo-helpdesk-2026"  # noqa: S105

DEMO_TENANT = {
    "slug": "demo",
    "name": "CrashPlan for Small Business Support",
    "time_zone": "America/Chicago",
    "holiday_country": "US",
    "solved_close_delay": timedelta(days=2),
    "pending_solve_delay": timedelta(days=4),
    "current_app_version": "11.4.1",
    "support_email": "support@demo.example.com",
    "survey_bad_reasons": [
        "My problem is not solved",
        "It took too long",
        "I had to explain things more than once",
        "The answer was hard to follow",
    ],
    "hours": [(weekday, time(8, 0), time(17, 0)) for weekday in range(5)],
    "priority_levels": {
        Priority.URGENT: (
            "Work cannot reasonably go on: the service is lost entirely, or one of these happens.",
            [
                "A restore from backup fails",
                "The account cannot be renewed",
                "The account has expired",
            ],
        ),
        Priority.HIGH: (
            "Service is badly degraded. Work goes on in a limited way, productivity will suffer "
            "over time, and there is no temporary workaround.",
            [],
        ),
        Priority.NORMAL: (
            "A minor loss of service: some functionality is partly unavailable but nothing "
            "critical. It is an inconvenience that may need a workaround.",
            [],
        ),
        Priority.LOW: (
            "A question, a documentation mistake or a product suggestion, with little or no "
            "effect on how the software runs.",
            [],
        ),
    },
}

SECOND_TENANT = {
    "slug": "globex",
    "name": "Globex Cloud Support",
    "time_zone": "Europe/Berlin",
    "holiday_country": "DE",
    "solved_close_delay": timedelta(days=3),
    "pending_solve_delay": timedelta(days=7),
    "current_app_version": "3.2.0",
    "support_email": "help@globex.example.com",
    "hours": [(weekday, time(9, 0), time(18, 0)) for weekday in range(5)],
    "priority_levels": {
        Priority.URGENT: ("Production is down for everyone.", []),
        Priority.HIGH: ("A major feature is unusable and there is no workaround.", []),
        Priority.NORMAL: ("Something is wrong but there is a workaround.", []),
        Priority.LOW: ("Questions and suggestions.", []),
    },
}

# (email, name, role, organization name or None), per tenant slug.
DEMO_PEOPLE = {
    "demo": [
        ("admin@demo.example.com", "Ada Admin", "admin", None),
        ("manager@demo.example.com", "Morgan Manager", "manager", None),
        ("agent@demo.example.com", "Alex Agent", "agent", None),
        ("agent2@demo.example.com", "Sam Support", "agent", None),
        ("customer@demo.example.com", "Casey Customer", "customer", "Northwind Dental"),
        ("pat@northwind.example.com", "Pat Northwind", "customer", "Northwind Dental"),
        ("lee@bluebird.example.com", "Lee Bluebird", "customer", "Bluebird Architects"),
    ],
    "globex": [
        ("admin@globex.example.com", "Glen Globex", "admin", None),
        ("agent@globex.example.com", "Gale Globex", "agent", None),
        ("customer@initech.example.com", "Ira Initech", "customer", "Initech"),
    ],
}

DEMO_ORGANIZATIONS = {
    "demo": [
        ("Northwind Dental", ["northwind.example.com"]),
        ("Bluebird Architects", ["bluebird.example.com"]),
    ],
    "globex": [("Initech", ["initech.example.com"])],
}
