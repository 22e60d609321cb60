"""The table of demo logins, read from the database (so it shows what is really there)."""

from django.utils.translation import gettext as _

from parcours.organisations.enums import Role
from parcours.organisations.models import Membership
from parcours.users.models import User

from . import territory as T
from .models import DemoLoad


def demo_login_rows() -> list[tuple[str, str, str, str, str]]:
    """(login, name, organisation, role, what to try), one row per membership."""
    specs = {p.username: p for p in T.PROFESSIONALS}
    users = {u.username: u for u in User.objects.filter(username__in=[*specs, T.SUPERUSER])}
    memberships: dict[int, list[Membership]] = {}
    for membership in (
        Membership.objects.filter(user__in=users.values(), is_active=True)
        .select_related("organisation")
        .prefetch_related("territory_grants")
        .order_by("organisation__name")
    ):
        memberships.setdefault(membership.user_id, []).append(membership)
    rows = []
    superuser = users.get(T.SUPERUSER)
    if superuser is not None:
        rows.append(
            (
                superuser.username,
                superuser.get_full_name(),
                "—",
                _("Administrateur·rice de la plateforme"),
                _(
                    "Administration (/admin/) : organisations, appartenances, référentiels, jetons d'API ; "
                    "imports de l'offre et doublons possibles ; accès exceptionnel motivé"
                ),
            )
        )
    for username, spec in specs.items():
        user = users.get(username)
        if user is None:
            continue
        for index, membership in enumerate(memberships.get(user.pk, [])):
            role = str(Role(membership.role).label)
            if any(g.revoked_at is None for g in membership.territory_grants.all()):
                role += _(" (habilitation 44)")
            rows.append(
                (
                    username if index == 0 else "",
                    user.get_full_name() if index == 0 else "",
                    membership.organisation.name,
                    role,
                    spec.what_to_try if index == 0 else "",
                )
            )
    return rows


def demo_logins() -> str | None:
    """The printable table, or None when the demo is not loaded."""
    load = DemoLoad.objects.first()
    if load is None:
        return None
    headers = (_("Identifiant"), _("Nom"), _("Organisation"), _("Rôle"), _("À essayer"))
    rows = demo_login_rows()
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]

    def line(values) -> str:
        cells = [str(v).ljust(widths[i]) for i, v in enumerate(values[:4])]
        return "  ".join([*cells, str(values[4])]).rstrip()

    out = [
        _("Démo Parcours — Loire-Atlantique : %(n)s personnes (graine %(seed)s).")
        % {"n": load.persons, "seed": load.seed},
        _("Mot de passe commun à tous les comptes de démonstration : %(pw)s") % {"pw": T.DEMO_PASSWORD},
        _("Connexion : http://127.0.0.1:8000/connexion/"),
        "",
        line(headers),
        line(["-" * w for w in widths] + ["-" * 10]),
        *(line(r) for r in rows),
    ]
    return "\n".join(out) + "\n"
