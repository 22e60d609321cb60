"""factory_boy factories shared by every test module. French Faker; traits for common profiles."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from parcours.diagnostics.models import Situation
from parcours.occupations.models import RomeJob
from parcours.organisations.enums import OrganisationKind, Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant
from parcours.pathways.models import Action, BreakGlassAccess, FollowUpMember, Goal, Pathway
from parcours.people.enums import ConsentChannel, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Consent, Person
from parcours.territories.models import Commune, Departement
from parcours.users.models import User

factory.Faker._DEFAULT_LOCALE = "fr_FR"

PASSWORD = "mot-de-passe-de-test"


class DepartementFactory(DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ("code",)

    code = "44"
    name = "Loire-Atlantique"
    region_code = "52"


class CommuneFactory(DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ("insee_code",)

    insee_code = "44109"
    name = "Nantes"
    departement = factory.SubFactory(DepartementFactory)
    postcodes = factory.LazyFunction(lambda: ["44000", "44100", "44200", "44300"])
    latitude = 47.2316
    longitude = -1.5483


class RomeJobFactory(DjangoModelFactory):
    class Meta:
        model = RomeJob
        django_get_or_create = ("code",)

    code = "J1501"
    label = "Aide-soignant / Aide-soignante"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pro{n}")
    email = factory.Sequence(lambda n: f"pro{n}@parcours.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.FRANCE_TRAVAIL
    name = factory.Sequence(lambda n: f"Agence {n}")
    departement = factory.SubFactory(DepartementFactory)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.CONSEILLER

    class Params:
        orientation = factory.Trait(role=Role.CHARGE_ORIENTATION)
        rsa = factory.Trait(role=Role.REFERENT_RSA)
        admin = factory.Trait(role=Role.ADMIN_STRUCTURE)
        pilote = factory.Trait(role=Role.PILOTE)


class TerritoryGrantFactory(DjangoModelFactory):
    class Meta:
        model = TerritoryGrant

    membership = factory.SubFactory(MembershipFactory, orientation=True)
    departement = factory.SubFactory(DepartementFactory)
    granted_by = factory.SubFactory(UserFactory, is_superuser=True)
    reason = "Chargé·e d'orientation du département"


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    birth_date = factory.Faker("date_of_birth", minimum_age=18, maximum_age=64)
    sex = "F"
    commune = factory.SubFactory(CommuneFactory)
    created_by = factory.SubFactory(UserFactory)
    languages = factory.LazyFunction(lambda: ["fr"])

    class Params:
        refugee = factory.Trait(
            nationality="AF",
            languages=["prs", "ps"],
            arrival_date=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=400)),
            protection_status="refugee",
            residence_permit_kind="resident_card",
            right_to_work=True,
            residence_permit_issued_on=factory.LazyFunction(
                lambda: timezone.localdate() - datetime.timedelta(days=300)
            ),
            residence_permit_valid_until=factory.LazyFunction(
                lambda: timezone.localdate() + datetime.timedelta(days=40)
            ),
            ofii_number=factory.Sequence(lambda n: f"{7500000000 + n}"),
        )


class PathwayFactory(DjangoModelFactory):
    """A pathway with its referent (pass `referent=` a membership, or one is created)."""

    class Meta:
        model = Pathway
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    departement = factory.SubFactory(DepartementFactory)

    @factory.post_generation
    def referent(obj, create, extracted, **kwargs):
        if not create:
            return
        membership = extracted if extracted is not None else MembershipFactory()
        if extracted is False:
            return
        FollowUpMember.objects.create(pathway=obj, membership=membership, is_referent=True)


class FollowUpMemberFactory(DjangoModelFactory):
    class Meta:
        model = FollowUpMember

    pathway = factory.SubFactory(PathwayFactory)
    membership = factory.SubFactory(MembershipFactory)
    is_referent = False


class ConsentFactory(DjangoModelFactory):
    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = ""
    category = DataCategory.RESIDENCE_STATUS
    purpose = ConsentPurpose.ACCOMPANIMENT
    decision = ConsentDecision.GIVEN
    channel = ConsentChannel.IN_PERSON


class SituationFactory(DjangoModelFactory):
    class Meta:
        model = Situation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"situation-{n}")
    theme = "logement"
    label = factory.Sequence(lambda n: f"Situation {n}")


class GoalFactory(DjangoModelFactory):
    class Meta:
        model = Goal

    pathway = factory.SubFactory(PathwayFactory)
    theme = "emploi"
    text = factory.Sequence(lambda n: f"Objectif {n}")
    agreed_by_person = True
    created_by = factory.SubFactory(UserFactory)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    goal = factory.SubFactory(GoalFactory)
    text = factory.Sequence(lambda n: f"Action {n}")
    created_by = factory.SubFactory(UserFactory)


class BreakGlassAccessFactory(DjangoModelFactory):
    class Meta:
        model = BreakGlassAccess

    pathway = factory.SubFactory(PathwayFactory)
    user = factory.SubFactory(UserFactory, is_superuser=True)
    reason = "Signalement d'un incident de sécurité sur ce dossier"
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=1))


class AppointmentFactory(DjangoModelFactory):
    class Meta:
        model = "pathways.Appointment"

    pathway = factory.SubFactory(PathwayFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))
    mode = "in_person"
    with_member = factory.SubFactory(MembershipFactory)
    subject = factory.Sequence(lambda n: f"Entretien {n}")


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = "pathways.Note"

    pathway = factory.SubFactory(PathwayFactory)
    author = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    text = factory.Sequence(lambda n: f"Note de suivi {n}")
