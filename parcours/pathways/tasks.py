from django_tasks import task

from . import breaks


@task()
def scan_breaks() -> dict:
    """The pathway-break scan, as a background task (scheduled daily; also `manage.py breaks_scan`)."""
    return breaks.scan_breaks()
