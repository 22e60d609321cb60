from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404("Page en construction.")


job_search = appellation_suggest = domain_levels = rome_releases = job_sheet = _todo
job_wish_add = job_wish_remove = _todo
