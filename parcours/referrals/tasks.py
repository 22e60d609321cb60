from django_tasks import task

from . import services


@task()
def sweep_deadlines() -> dict[str, int]:
    """Expire overdue referrals, send reminders and escalations (scheduled daily, or more often)."""
    return services.sweep_deadlines()
