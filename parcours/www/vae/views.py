"""Placeholder views: replaced by the helper that owns this package during the session."""

from django.http import Http404


def vae_detail(request, **kwargs):
    raise Http404("Page en construction.")


def vae_open(request, **kwargs):
    raise Http404("Page en construction.")


def vae_action(request, **kwargs):
    raise Http404("Page en construction.")
