"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def enrolment_detail(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_step_add(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_certification_add(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_contract_add(request, **kwargs):
    raise Http404("Page en construction.")


def enrolment_outcome(request, **kwargs):
    raise Http404("Page en construction.")


def survey_todo(request, **kwargs):
    raise Http404("Page en construction.")


def survey_answer(request, **kwargs):
    raise Http404("Page en construction.")
