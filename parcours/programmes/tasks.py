from django_tasks import task

from . import services_surveys


@task()
def surveys_notify() -> int:
    """Notify the referents of the follow-up surveys that fell due (scheduled daily; also
    `manage.py surveys_notify`). Returns how many surveys were notified."""
    return services_surveys.surveys_notify_due()
