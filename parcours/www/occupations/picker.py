"""Choosing an appellation on a page without JavaScript: a GET search form (`<prefix>-q`) re-renders
the page with the matching appellations as radio buttons of the add form; the add form carries the
query back (hidden `<prefix>-q`) so that its choices are still there when it is shown again with
an error. With htmx, the search field asks `appellation_suggest` for the same radio buttons."""

from dataclasses import dataclass

from django import forms

from parcours.occupations.models import Appellation
from parcours.occupations.search import AppellationHit, search_appellations

from .forms import AppellationQueryForm, hit_label

PICKER_LIMIT = 10


@dataclass
class Picker:
    prefix: str
    form: AppellationQueryForm  # the search form
    q: str  # the valid query, "" when none
    hits: list[AppellationHit]
    searched: bool  # a valid query was searched (even with no result)

    @property
    def has_choices(self) -> bool:
        return bool(self.hits)

    @property
    def choices_id(self) -> str:
        return f"{self.prefix}-choices"

    @property
    def field_name(self) -> str:
        return f"{self.prefix}-appellation_code"


def _chosen_hit(form: forms.Form, hits: list[AppellationHit]) -> AppellationHit | None:
    """The appellation a bound form names when it is not among the hits (picked through htmx from
    another query), so that it stays selected when the form is shown again."""
    if not form.is_bound:
        return None
    raw = form.data.get(form.add_prefix("appellation_code"), "")
    try:
        code = int(raw)
    except (TypeError, ValueError):
        return None
    if any(hit.code == code for hit in hits):
        return None
    appellation = Appellation.objects.select_related("rome").filter(code=code, in_release=True).first()
    if appellation is None:
        return None
    return AppellationHit(
        code=appellation.code,
        label=appellation.label,
        rome_code=appellation.rome_id,
        rome_label=appellation.rome.label,
        regulated=appellation.regulated,
        rarely_used=appellation.rarely_used,
    )


def appellation_picker(request, *, prefix: str, form: forms.Form, label) -> Picker:
    """Read `<prefix>-q` (query string on a GET, the hidden field on a POST), search it, and offer
    the hits as the choices of `form`'s `appellation_code` field."""
    data = request.POST if request.method == "POST" else request.GET
    key = f"{prefix}-q"
    search = AppellationQueryForm(data if key in data else None, prefix=prefix, label=label)
    q = ""
    hits: list[AppellationHit] = []
    if search.is_bound and search.is_valid():
        q = search.cleaned_data["q"]
        if q:
            hits = search_appellations(q, limit=PICKER_LIMIT)
    chosen = _chosen_hit(form, hits)
    if chosen is not None:
        hits.insert(0, chosen)
    form.fields["appellation_code"].widget.choices = [(str(hit.code), hit_label(hit)) for hit in hits]
    return Picker(prefix=prefix, form=search, q=q, hits=hits, searched=bool(q))
