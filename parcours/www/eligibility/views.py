"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def programme_declare(request, **kwargs):
    raise Http404("Page en construction.")


def programme_edit(request, **kwargs):
    raise Http404("Page en construction.")


def pathway_programmes(request, **kwargs):
    raise Http404("Page en construction.")


def eligibility_check(request, **kwargs):
    raise Http404("Page en construction.")
