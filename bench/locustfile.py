"""The load mix of ``manage.py bench_load``: customers and agents of the biggest bench tenant.

Run by bench_load (which signs the people in beforehand, starts the server and reads the
figures); the data file it writes names the host, the session cookies and ticket numbers.
Seven simulated people in ten are customers, three are agents; each waits 1 to 3 seconds
between pages, as a person reading them would.
"""

import json
import os
import random

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["BENCH_LOAD_DATA"]).read())  # noqa: SIM115
HOST = DATA["host"]


class _Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self):
        me = random.choice(DATA[self.role])  # noqa: S311 (a load mix, not a secret)
        self.tickets = me["tickets"] or DATA["any_tickets"]
        self.client.cookies.set("sessionid", me["session"], domain=HOST)
        self.client.headers["Host"] = HOST

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} for {path}")


class Customer(_Person):
    weight = 7
    role = "customers"

    @task(5)
    def my_tickets(self):
        self.page("/tickets/", "My tickets")

    @task(3)
    def ticket(self):
        self.page(f"/tickets/{random.choice(self.tickets)}/", "a ticket (customer)")  # noqa: S311

    @task(1)
    def solved_tab(self):
        self.page("/tickets/?status=solved", "My tickets, solved")

    @task(1)
    def home(self):
        self.page("/", "portal home")


class Agent(_Person):
    weight = 3
    role = "agents"

    @task(4)
    def queue(self):
        self.page("/agent/", "queue")

    @task(2)
    def filtered(self):
        view = random.choice(["priority=urgent", "assignee=me", "assignee=unassigned"])  # noqa: S311
        self.page(f"/agent/?{view}", "queue, a built-in view")

    @task(3)
    def ticket(self):
        self.page(f"/agent/tickets/{random.choice(DATA['unsolved'])}/", "a ticket (agent)")  # noqa: S311

    @task(1)
    def search(self):
        word = random.choice(["restore", "license", "firewall", "offline", "invoice"])  # noqa: S311
        self.page(f"/agent/?q={word}", "search")
