from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404("Page en construction.")


pathway_recommendations = recommendation_dismiss = recommendation_restore = recommendation_job_target = _todo
recommendation_usage = theme_mapping = _todo
