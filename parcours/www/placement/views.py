"""Placement pages (placeholders until the pages land)."""

from django.http import Http404


def placement_home(request, code):
    raise Http404


def placement_batch(request, code, batch_id):
    raise Http404


def placement_line_preferences(request, code, batch_id, line_id):
    raise Http404


def placement_line_override(request, code, batch_id, line_id):
    raise Http404
