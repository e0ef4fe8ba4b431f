from celery import shared_task

from chat.services import chats_sweep


@shared_task
def sweep_chats() -> dict:
    return chats_sweep()
