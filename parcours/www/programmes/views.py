"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def programme_list(request, **kwargs):
    raise Http404("Page en construction.")


def session_detail(request, **kwargs):
    raise Http404("Page en construction.")


def session_edit(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_propose(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_transition(request, **kwargs):
    raise Http404("Page en construction.")


def programme_detail(request, **kwargs):
    raise Http404("Page en construction.")


def session_create(request, **kwargs):
    raise Http404("Page en construction.")
