"""Declare (or update) programmes from a JSON file: one programme object, or a list of them, in the
shape described in docs/programmes.md. The programme is declared in the name of a manager (pilote
or structure administrator) of the owner organisation, through the same service as the page."""

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from parcours.organisations.models import Membership, Organisation
from parcours.programmes.access import MANAGER_ROLES
from parcours.programmes.models import Programme
from parcours.programmes.services_programme import programme_declare, programme_update


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(constant: str):
    """json.loads accepts NaN, Infinity and -Infinity, which are not JSON (and which PostgreSQL refuses)."""
    raise _NonFiniteNumber(constant)


def _describe(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        lines = []
        for key, errors in exc.error_dict.items():
            where = "" if key == "__all__" else f"{key} : "
            lines.extend(f"  - {where}{m}" for e in errors for m in e.messages)
        return "\n".join(lines)
    return "\n".join(f"  - {m}" for m in exc.messages)


class Command(BaseCommand):
    help = (
        "Déclare ou met à jour des programmes depuis un fichier JSON (un programme ou une liste), au nom "
        "d'un·e pilote ou administrateur·rice de l'organisation porteuse."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Fichier JSON du ou des programmes.")
        owner = parser.add_mutually_exclusive_group(required=True)
        owner.add_argument("--owner-siret", help="SIRET de l'organisation porteuse.")
        owner.add_argument("--owner-id", type=int, help="Identifiant de l'organisation porteuse.")
        parser.add_argument(
            "--user",
            help="Identifiant de connexion du ou de la gestionnaire (par défaut : le premier ou la première "
            "pilote ou administrateur·rice actif·ve de l'organisation).",
        )

    def _owner(self, *, siret: str | None, owner_id: int | None) -> Organisation:
        if owner_id is not None:
            org = Organisation.objects.filter(pk=owner_id).first()
            if org is None:
                raise CommandError(f"Aucune organisation n'a l'identifiant {owner_id}.")
            return org
        orgs = list(Organisation.objects.filter(siret=(siret or "").strip())[:2])
        if not orgs:
            raise CommandError(f"Aucune organisation n'a le SIRET {siret}.")
        if len(orgs) > 1:
            raise CommandError(f"Plusieurs organisations ont le SIRET {siret} : utilisez --owner-id.")
        return orgs[0]

    def _membership(self, owner: Organisation, username: str | None) -> Membership:
        qs = Membership.objects.filter(organisation=owner, is_active=True, user__is_active=True).select_related(
            "organisation", "user"
        )
        if username:
            membership = qs.filter(user__username=username).first()
            if membership is None:
                raise CommandError(f"« {username} » n'est pas membre actif·ve de « {owner.name} ».")
            return membership
        membership = qs.filter(role__in=MANAGER_ROLES).order_by("pk").first()
        if membership is None:
            raise CommandError(
                f"« {owner.name} » n'a aucun·e pilote ni administrateur·rice actif·ve : utilisez --user."
            )
        return membership

    def handle(self, *args, file: str, owner_siret: str | None, owner_id: int | None, user: str | None, **options):
        path = Path(file)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constant)
        except FileNotFoundError:
            raise CommandError(f"Fichier introuvable : {file}.") from None
        except _NonFiniteNumber as exc:
            raise CommandError(
                f"{file} n'est pas un fichier JSON valide : « {exc} » n'est pas un nombre accepté ; "
                "indiquez un nombre fini."
            ) from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file} n'est pas un fichier JSON valide : {exc}.") from None
        items = payload if isinstance(payload, list) else [payload]
        owner = self._owner(siret=owner_siret, owner_id=owner_id)
        membership = self._membership(owner, user)
        done = []
        # All or nothing: a file with one bad programme writes none.
        with transaction.atomic():
            for index, data in enumerate(items, start=1):
                code = data.get("code") if isinstance(data, dict) else None
                existing = Programme.objects.filter(code=code).first() if isinstance(code, str) else None
                try:
                    if existing is None:
                        programme = programme_declare(membership=membership, data=data)
                        done.append(f"déclaré : {programme.code} — {programme.name}")
                    else:
                        programme = programme_update(membership=membership, programme=existing, data=data)
                        done.append(f"mis à jour : {programme.code} — {programme.name}")
                except ValidationError as exc:
                    raise CommandError(
                        f"Programme n° {index} ({code or 'sans code'}) refusé, rien n'a été enregistré :\n{_describe(exc)}"
                    ) from None
                except PermissionDenied as exc:
                    raise CommandError(f"Programme n° {index} ({code or 'sans code'}) refusé : {exc}") from None
        for line in done:
            self.stdout.write(self.style.SUCCESS(line))
