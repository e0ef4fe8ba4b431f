import threading

import pytest
from django.db import connection, transaction

from tenants.context import tenant_context
from tenants.services import tenant_create
from tickets.models import Ticket
from tickets.services import ticket_submit


def test_numbers_are_per_tenant_and_consecutive(world_a, world_b):
    a_numbers = [world_a.ticket.number] + [world_a.submit().number for _ in range(3)]
    b_numbers = [world_b.ticket.number] + [world_b.submit().number for _ in range(2)]
    assert a_numbers == [1, 2, 3, 4]
    assert b_numbers == [1, 2, 3]


def test_a_failed_submission_gives_its_number_back(world_a):
    with pytest.raises(RuntimeError), tenant_context(world_a.tenant), transaction.atomic():
        world_a.submit()
        raise RuntimeError("the request failed after taking a number")
    assert world_a.submit().number == world_a.ticket.number + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_consecutive_numbers():
    tenants = [tenant_create(slug=f"race{i}", name=f"Race {i}") for i in range(2)]
    threads_per_tenant, per_thread = 6, 8
    barrier = threading.Barrier(threads_per_tenant * len(tenants))
    errors = []

    def submit_many(tenant):
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                with tenant_context(tenant):
                    ticket_submit(
                        requester_email=f"racer{i}@example.com",
                        subject="race",
                        description="concurrent",
                    )
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=submit_many, args=(tenant,))
        for tenant in tenants
        for _ in range(threads_per_tenant)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    expected = list(range(1, threads_per_tenant * per_thread + 1))
    for tenant in tenants:
        with tenant_context(tenant):
            numbers = sorted(Ticket.objects.values_list("number", flat=True))
        assert numbers == expected
