"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def indicator_definitions(request, **kwargs):
    raise Http404("Page en construction.")


def indicator_definition(request, **kwargs):
    raise Http404("Page en construction.")


def indicators_session(request, **kwargs):
    raise Http404("Page en construction.")


def indicators_programme(request, **kwargs):
    raise Http404("Page en construction.")


def indicators_cohort(request, **kwargs):
    raise Http404("Page en construction.")


def indicators_csv(request, **kwargs):
    raise Http404("Page en construction.")


def indicators_publication(request, **kwargs):
    raise Http404("Page en construction.")
