import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.occupations.models import Appellation, RomeJob
from parcours.organisations.enums import Role
from parcours.organisations.models import Organisation
from parcours.territories.models import Commune

from . import enums

nir_validator = RegexValidator(
    r"^[12][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{6}([0-9]{2})?$",
    _("Le NIR doit compter 13 ou 15 caractères (ex. 1 85 05 44 109 123 45), sans espaces."),
)
france_travail_validator = RegexValidator(
    r"^[0-9]{7}[0-9A-Z]{1,4}$", _("L'identifiant France Travail compte 8 à 11 caractères (chiffres puis lettres).")
)
caf_validator = RegexValidator(r"^[0-9]{7}$", _("Le numéro d'allocataire CAF compte 7 chiffres."))
agdref_validator = RegexValidator(r"^[0-9]{10}$", _("Le numéro AGDREF / OFII compte 10 chiffres."))
phone_validator = RegexValidator(
    r"^\+?[0-9 .]{10,20}$", _("Saisissez un numéro de téléphone (10 chiffres, ou au format international).")
)
language_validator = RegexValidator(r"^[a-z]{2,3}$", _("Code de langue ISO 639 (ex. fr, ar, prs, uk)."))

# Every ISO 639-1 code, plus the ISO 639-3 (or 639-2 collective) codes of languages often spoken by
# newcomers that have no two-letter code: Dari, Hazaragi, Sorani, Kurmanji, Arabic varieties,
# Berber and West African languages, French creoles, Chinese varieties, Romani, LSF. A well-formed
# but unknown code ("zz") is refused: interpreting is booked from this value.
KNOWN_LANGUAGE_CODES = frozenset(
    (
        "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv "
        "dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig "
        "ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh "
        "mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru "
        "rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug "
        "uk ur uz ve vi vo wa wo xh yi yo za zh zu "
        "prs haz pbu bal ckb kmr sdh zza arq ary aeb apc arz acm apd shu ber kab tzm shi rif snk mnk dyu ful "
        "tmh sus man kri men tem bej tig mfe rcf gcf gcr cmn yue wuu nan hak rom rmy fil aii syr fsl"
    ).split()
)


def is_known_language(code) -> bool:
    return isinstance(code, str) and code in KNOWN_LANGUAGE_CODES


# ISO 3166-1 alpha-2, plus XK (Kosovo, user-assigned but used by the French administration).
COUNTRY_CODES = frozenset(
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ
    FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ
    IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH
    MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL
    PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD
    TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM
    ZW""".split()
)


def validate_country_code(value: str) -> None:
    if value and value not in COUNTRY_CODES:
        raise ValidationError(
            _("Code pays inconnu : indiquez le code ISO à deux lettres (ex. FR, AF, SY)."), code="unknown_country"
        )


def validate_not_future(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("La date ne peut pas être dans le futur."))


class Person(models.Model):
    """A person accompanied by the SPIE. Fields are grouped by data category (see enums.DataCategory);
    the sensitive ones are listed in `SENSITIVE_FIELDS` and never leave a selector without consent."""

    # identity
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom d'usage"), max_length=100)
    birth_name = models.CharField(_("nom de naissance"), max_length=100, blank=True)
    sex = models.CharField(_("sexe"), max_length=1, choices=enums.Sex.choices, default=enums.Sex.OTHER)
    birth_date = models.DateField(_("date de naissance"), validators=[validate_not_future])
    birth_place = models.CharField(_("lieu de naissance"), max_length=150, blank=True)
    nationality = models.CharField(
        _("nationalité (code pays ISO)"), max_length=2, blank=True, validators=[validate_country_code]
    )
    nir = models.CharField(_("NIR (n° de sécurité sociale)"), max_length=15, blank=True, validators=[nir_validator])
    france_travail_id = models.CharField(
        _("identifiant France Travail"), max_length=11, blank=True, validators=[france_travail_validator]
    )
    caf_number = models.CharField(_("n° allocataire CAF"), max_length=7, blank=True, validators=[caf_validator])
    ofii_number = models.CharField(_("n° AGDREF / OFII"), max_length=10, blank=True, validators=[agdref_validator])
    # contact
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, validators=[phone_validator])
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    # situation
    languages = models.JSONField(_("langues parlées"), default=list, blank=True)
    arrival_date = models.DateField(
        _("date d'arrivée en France"), null=True, blank=True, validators=[validate_not_future]
    )
    household = models.CharField(
        _("composition du foyer"), max_length=16, choices=enums.HouseholdKind.choices, blank=True
    )
    driving_licence = models.CharField(
        _("permis de conduire"), max_length=16, choices=enums.DrivingLicence.choices, default=enums.DrivingLicence.NONE
    )
    has_vehicle = models.BooleanField(_("dispose d'un véhicule"), default=False)
    max_travel_minutes = models.PositiveSmallIntegerField(
        _("temps de trajet maximal (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    education_level = models.CharField(
        _("niveau de formation"), max_length=1, choices=enums.EducationLevel.choices, blank=True
    )
    rsa_status = models.CharField(
        _("RSA"), max_length=16, choices=enums.RightsStatus.choices, default=enums.RightsStatus.NONE
    )
    are_status = models.CharField(
        _("ARE (allocation chômage)"),
        max_length=16,
        choices=enums.RightsStatus.choices,
        default=enums.RightsStatus.NONE,
    )
    # sensitive: residence status
    residence_permit_kind = models.CharField(
        _("titre de séjour"), max_length=32, choices=enums.ResidencePermitKind.choices, blank=True
    )
    right_to_work = models.BooleanField(_("autorisé·e à travailler"), null=True, blank=True)
    residence_permit_issued_on = models.DateField(_("délivré le"), null=True, blank=True)
    residence_permit_valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    # sensitive: asylum history
    protection_status = models.CharField(
        _("statut de protection"), max_length=16, choices=enums.ProtectionStatus.choices, blank=True
    )
    protection_granted_on = models.DateField(
        _("protection accordée le"), null=True, blank=True, validators=[validate_not_future]
    )
    asylum_note = models.TextField(_("éléments du parcours d'asile"), max_length=4000, blank=True)
    # sensitive: disability
    has_rqth = models.BooleanField(_("RQTH (reconnaissance travailleur handicapé)"), default=False)
    disability_note = models.TextField(_("besoins liés au handicap"), max_length=4000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    anonymised_at = models.DateTimeField(null=True, blank=True)

    SENSITIVE_FIELDS = {
        enums.DataCategory.RESIDENCE_STATUS: (
            "residence_permit_kind",
            "right_to_work",
            "residence_permit_issued_on",
            "residence_permit_valid_until",
        ),
        enums.DataCategory.ASYLUM_HISTORY: ("protection_status", "protection_granted_on", "asylum_note"),
        enums.DataCategory.DISABILITY: ("has_rqth", "disability_note"),
    }

    class Meta:
        verbose_name = _("personne")
        indexes = [
            models.Index(Upper("last_name"), Upper("first_name"), "birth_date", name="person_name_birth_idx"),
            models.Index(fields=["nir"], name="person_nir_idx", condition=~Q(nir="")),
            models.Index(fields=["france_travail_id"], name="person_ft_idx", condition=~Q(france_travail_id="")),
            models.Index(fields=["caf_number"], name="person_caf_idx", condition=~Q(caf_number="")),
            models.Index(fields=["ofii_number"], name="person_ofii_idx", condition=~Q(ofii_number="")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(residence_permit_issued_on__isnull=True)
                | Q(residence_permit_valid_until__isnull=True)
                | Q(residence_permit_valid_until__gte=models.F("residence_permit_issued_on")),
                name="person_permit_expiry_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    @property
    def age(self) -> int:
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def clean(self) -> None:
        errors = {}
        if (
            self.residence_permit_issued_on
            and self.residence_permit_valid_until
            and self.residence_permit_valid_until < self.residence_permit_issued_on
        ):
            errors["residence_permit_valid_until"] = _("La date d'expiration doit suivre la date de délivrance.")
        if self.birth_date and self.arrival_date and self.arrival_date < self.birth_date:
            errors["arrival_date"] = _("La date d'arrivée ne peut pas précéder la date de naissance.")
        if self.birth_date and self.birth_date.year < 1900:
            errors["birth_date"] = _("Vérifiez l'année de naissance.")
        for code in self.languages or []:
            if not is_known_language(code):
                errors["languages"] = _("Code de langue inconnu : %(code)s.") % {"code": code}
        if errors:
            raise ValidationError(errors)


class Child(models.Model):
    """A child of the household, with the childcare solution (a key constraint for mothers)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="children")
    birth_date = models.DateField(_("date de naissance"), validators=[validate_not_future])
    childcare = models.CharField(
        _("mode de garde"),
        max_length=16,
        choices=enums.ChildcareSolution.choices,
        default=enums.ChildcareSolution.NONE,
    )

    class Meta:
        verbose_name = _("enfant")
        ordering = ["birth_date"]


class ForeignQualification(models.Model):
    """A qualification obtained abroad, with where recognition stands."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="foreign_qualifications")
    title = models.CharField(_("intitulé"), max_length=200)
    country = models.CharField(_("pays (code ISO)"), max_length=2, validators=[validate_country_code])
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    recognition = models.CharField(
        _("reconnaissance"),
        max_length=16,
        choices=[("none", _("Non demandée")), ("requested", _("Demandée (ENIC-NARIC)")), ("obtained", _("Obtenue"))],
        default="none",
    )

    class Meta:
        verbose_name = _("diplôme obtenu à l'étranger")


class WorkExperience(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="experiences")
    rome = models.ForeignKey(RomeJob, on_delete=models.PROTECT, related_name="+", verbose_name=_("métier (ROME)"))
    # The job title the person held; `rome` is its sheet. Older rows recorded only the sheet.
    appellation = models.ForeignKey(
        Appellation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("appellation")
    )
    years = models.DecimalField(
        _("durée (années)"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(60)]
    )
    country = models.CharField(_("pays (code ISO)"), max_length=2, blank=True, validators=[validate_country_code])

    class Meta:
        verbose_name = _("expérience professionnelle")
        ordering = ["-years"]


class JobWishKind(models.TextChoices):
    WISH = "wish", _("Souhait de la personne")
    TARGET = "target", _("Métier visé (projet validé)")


class JobWish(models.Model):
    """A job the person wishes to do, or a target job agreed in the pathway, as a ROME appellation."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="job_wishes")
    appellation = models.ForeignKey(
        Appellation, on_delete=models.PROTECT, related_name="+", verbose_name=_("appellation")
    )
    kind = models.CharField(_("nature"), max_length=8, choices=JobWishKind.choices, default=JobWishKind.WISH)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("métier souhaité ou visé")
        ordering = ["kind", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "appellation", "kind"], name="job_wish_unique"),
        ]


class Consent(models.Model):
    """One entry of a person's consent ledger. Entries are never updated nor deleted except to mark
    them superseded: a new decision for the same (grantee, category, purpose) supersedes the
    current one. The grantee is an organisation, or a role (any follow-up member holding it)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices, blank=True)
    category = models.CharField(_("catégorie"), max_length=32, choices=enums.DataCategory.choices)
    purpose = models.CharField(_("finalité"), max_length=32, choices=enums.ConsentPurpose.choices)
    decision = models.CharField(_("décision"), max_length=16, choices=enums.ConsentDecision.choices)
    channel = models.CharField(_("recueilli"), max_length=16, choices=enums.ConsentChannel.choices)
    decided_at = models.DateTimeField(_("le"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    is_current = models.BooleanField(default=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("consentement")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False) & Q(role="")) | (Q(organisation__isnull=True) & ~Q(role="")),
                name="consent_grantee_is_organisation_xor_role",
            ),
            models.UniqueConstraint(
                fields=["person", "organisation", "category", "purpose"],
                condition=Q(is_current=True, organisation__isnull=False),
                name="consent_one_current_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "category", "purpose"],
                condition=Q(is_current=True, organisation__isnull=True),
                name="consent_one_current_per_role",
            ),
        ]
        indexes = [models.Index(fields=["person", "is_current"], name="consent_person_current_idx")]

    @property
    def grantee_label(self) -> str:
        return str(self.organisation) if self.organisation_id else str(self.get_role_display())
