import logging

from django_tasks import task

from parcours.programmes.models import Programme

from . import services_placement

logger = logging.getLogger(__name__)


@task()
def refresh_placement_prices(programme_code: str = "") -> int:
    """Recompute the online placement prices (scheduled daily; also `manage.py placement_prices`):
    of the programme `programme_code`, or of every active programme with an open session. One
    programme's failure is logged and does not stop the others (each refresh is its own
    transaction). Returns how many programmes were priced."""
    if programme_code:
        programmes = Programme.objects.filter(is_active=True, code=programme_code)
    else:
        programmes = services_placement.programmes_to_price()
    count = 0
    for programme in programmes:
        try:
            services_placement.prices_refresh(programme=programme)
        except Exception:
            logger.exception("Placement prices of programme %s could not be refreshed", programme.code)
            continue
        count += 1
    return count
