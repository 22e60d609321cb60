"""The Python-rendered selects give the same HTML as Django's template-rendered ones."""

import pytest
from django import forms
from django.test.html import parse_html

from parcours.www.widgets import FastSelect, FastSelectMultiple

CHOICES = [("", "—"), ("a", "A <b>"), ("Groupe & co", [("x", "X"), ("y", "Y & z")]), ("a", "A again")]


@pytest.mark.parametrize(
    ("fast", "django_widget", "value"),
    [
        (FastSelect, forms.Select, "x"),
        (FastSelect, forms.Select, None),
        (FastSelect, forms.Select, "a"),  # a value listed twice is selected once, as Django does
        (FastSelect, forms.Select, "unknown"),
        (FastSelectMultiple, forms.SelectMultiple, ["a", "y"]),
        (FastSelectMultiple, forms.SelectMultiple, []),
    ],
)
def test_same_markup_as_django(fast, django_widget, value):
    attrs = {"id": "id_field", "required": True, "aria-describedby": "help"}
    ours = fast(choices=CHOICES, attrs={"class": "fr-select", "size": 4}).render("field", value, attrs)
    theirs = django_widget(choices=CHOICES, attrs={"class": "fr-select", "size": 4}).render("field", value, attrs)
    assert parse_html(ours) == parse_html(theirs)
    assert "<b>" not in ours  # labels are escaped
