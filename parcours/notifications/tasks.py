from django_tasks import task

from . import services


@task()
def send_notifications(notification_ids: list[int]) -> int:
    return services.deliver(notification_ids)


@task()
def send_digests() -> int:
    return services.send_digests()
