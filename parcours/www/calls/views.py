"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def call_list(request, **kwargs):
    raise Http404("Page en construction.")


def call_create(request, **kwargs):
    raise Http404("Page en construction.")


def call_detail(request, **kwargs):
    raise Http404("Page en construction.")


def project_create(request, **kwargs):
    raise Http404("Page en construction.")


def project_detail(request, **kwargs):
    raise Http404("Page en construction.")


def pathway_projects(request, **kwargs):
    raise Http404("Page en construction.")
