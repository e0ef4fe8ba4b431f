"""The load mix of ``manage.py bench_load``: customers and agents of the biggest bench tenant.

Run by bench_load (which signs the people in beforehand, starts the server and reads the
figures); the data file it writes names the host, the session cookies and ticket numbers.
Seven simulated people in ten are customers, three are agents; each waits 1 to 3 seconds
between pages, as a person reading them would.

The people are FastHttpUsers (geventhttpclient): the load generator shares this machine's two
cores with the server, and locust's requests-based client spent about a tenth of the CPU of a
run on itself, CPU the server's workers then did not have.
"""

import json
import os
import random
from http.cookiejar import Cookie

from locust import FastHttpUser, between, task

DATA = json.loads(open(os.environ["BENCH_LOAD_DATA"]).read())  # noqa: SIM115
HOST = DATA["host"]


def _session_cookie(value: str) -> Cookie:
    """The session cookie, as the server would have set it: the client's cookie jar matches
    cookies against the address it connects to (loopback), not the Host header it sends."""
    return Cookie(
        version=0,
        name="sessionid",
        value=value,
        port=None,
        port_specified=False,
        domain="127.0.0.1",
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
    )


class _Person(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self):
        me = random.choice(DATA[self.role])  # noqa: S311 (a load mix, not a secret)
        self.tickets = me["tickets"] or DATA["any_tickets"]
        self.client.cookiejar.set_cookie(_session_cookie(me["session"]))

    def page(self, path: str, name: str):
        with self.client.get(
            path, name=name, headers={"Host": HOST}, catch_response=True, allow_redirects=False
        ) as r:
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
