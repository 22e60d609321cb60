"""Pathway breaks (ruptures de parcours): the scan that opens and closes alerts, and the selectors
that read them.

The scan is set-based: each rule is one `INSERT … SELECT` into a temporary table of the conditions
that hold now; alerts are then opened, closed and re-assigned, and their timeline events written,
by a handful of statements over that table, in one transaction, whatever the number of pathways.
The rules' SELECTs are compiled from ORM querysets (so that date arithmetic, JSON and string
functions come out right on PostgreSQL and on SQLite, which the demo uses); the statements around
them are plain portable SQL (no interval, no `::` casts, no DISTINCT ON). Dates are computed in
Python and passed as parameters.

Rules (open pathways of people not anonymised; `since` is when the condition began to hold):
1. no active referent;
2. no activity for N days, N the inactivity delay of the referent's organisation (45 without one);
3. a referral unanswered past its deadline (or expired) with no later referral for the same need;
4. a refused referral with no new referral for the same need within 15 days;
5. the latest action finished (or referral closed, or programme enrolment ended) with nothing
   planned after it; a programme exit counts once it is BREAK_PROGRAMME_EXIT_NO_NEXT_STEP_DAYS old
   (subject "enrolment:<id>"), and a live programme enrolment is pending work;
6. a residence permit expiring within 60 days (or expired) with no renewal action;
7. French hours of the CIR not started 30 days after signature.
"""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat, ExtractDay, ExtractMonth, ExtractYear, JSONObject, LPad
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant
from parcours.people.enums import DataCategory
from parcours.people.selectors import consent_exists
from parcours.programmes.enums import ACTIVE_STATES as ENROLMENT_ACTIVE_STATES
from parcours.programmes.enums import EXITED_STATES as ENROLMENT_EXITED_STATES
from parcours.programmes.models import Enrolment
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral

from .enums import (
    FINISHED_ACTION_STATUSES,
    ActionKind,
    ActionStatus,
    AlertAssignee,
    BreakKind,
    EventKind,
    PathwayStatus,
)
from .models import Action, Event, FollowUpMember, Pathway, PathwayAlert

DEFAULT_INACTIVITY_DAYS = 45

# Event summaries (French, for a reader of the timeline). The permit alert names a sensitive
# category: its events carry that category, so a reader without consent does not see them.
_OPENED_LABELS = {
    BreakKind.NO_REFERENT: "Alerte : sans référent·e depuis le ",
    BreakKind.INACTIVE: "Alerte : sans activité depuis le ",
    BreakKind.REFERRAL_UNANSWERED: "Alerte : prescription sans réponse depuis le ",
    BreakKind.REFERRAL_REFUSED: "Alerte : prescription refusée sans nouvelle proposition depuis le ",
    BreakKind.NO_NEXT_STEP: "Alerte : aucune suite prévue depuis le ",
    BreakKind.PERMIT_EXPIRING: "Alerte : titre de séjour à renouveler depuis le ",
    BreakKind.CIR_FRENCH_NOT_STARTED: "Alerte : cours de français du CIR non commencés depuis le ",
}
_CLOSED_LABELS = {
    BreakKind.NO_REFERENT: "Alerte levée : un·e référent·e est désigné·e",
    BreakKind.INACTIVE: "Alerte levée : le parcours a repris",
    BreakKind.REFERRAL_UNANSWERED: "Alerte levée : prescription sans réponse traitée",
    BreakKind.REFERRAL_REFUSED: "Alerte levée : prescription refusée traitée",
    BreakKind.NO_NEXT_STEP: "Alerte levée : une suite est prévue",
    BreakKind.PERMIT_EXPIRING: "Alerte levée : titre de séjour à renouveler",
    BreakKind.CIR_FRENCH_NOT_STARTED: "Alerte levée : cours de français du CIR",
}
KIND_CATEGORY = {BreakKind.PERMIT_EXPIRING: DataCategory.RESIDENCE_STATUS}

PENDING_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
PENDING_REFERRAL_STATUSES = (
    ReferralStatus.SENT,
    ReferralStatus.SEEN,
    ReferralStatus.ACCEPTED,
    ReferralStatus.STARTED,
)

_CONDITIONS = "breaks_conditions"
_OPENING = "breaks_opening"
_CLOSING = "breaks_closing"
_TO_OPEN = "breaks_to_open"
# Above this many alerts opened in one scan, the alert table is analysed within the scan.
_MANY = 1000
_TEMPORARY_TABLES = (_CONDITIONS, _OPENING, _CLOSING, _TO_OPEN)

_COLUMNS = ("pathway_id", "kind", "subject", "since", "details")


# --- the rules: one queryset each, selecting exactly _COLUMNS ---------------------------------------


def _scanned_pathways() -> QuerySet[Pathway]:
    return Pathway.objects.filter(status=PathwayStatus.OPEN, person__anonymised_at__isnull=True)


def _active_referent(pathway_ref: str = "pk") -> QuerySet[FollowUpMember]:
    return FollowUpMember.objects.filter(pathway=OuterRef(pathway_ref), is_referent=True, ended_at__isnull=True)


def _row(qs: QuerySet, *, pathway_id, kind: str, subject, since, details=None) -> QuerySet:
    """Select the rule's columns, in _COLUMNS order (annotations added in the order they are
    listed, so the SELECT order is the same whatever the Django version)."""
    return qs.annotate(
        b_pathway_id=pathway_id,
        b_kind=Value(kind, output_field=CharField()),
        b_subject=subject,
        b_since=since,
        b_details=details if details is not None else Value({}, output_field=JSONField()),
    ).values_list("b_pathway_id", "b_kind", "b_subject", "b_since", "b_details")


def _days(n: int) -> Value:
    return Value(datetime.timedelta(days=n), output_field=DurationField())


def _subject(prefix: str, field: str = "pk") -> Concat:
    return Concat(Value(prefix), Cast(field, CharField()), output_field=CharField())


def _rule_no_referent(now) -> QuerySet:
    last_seat_end = (
        FollowUpMember.objects.filter(pathway=OuterRef("pk"), is_referent=True, ended_at__isnull=False)
        .order_by()
        .values("pathway")
        .annotate(m=Max("ended_at"))
        .values("m")
    )
    qs = _scanned_pathways().filter(~Exists(_active_referent()))
    return _row(
        qs,
        pathway_id=F("pk"),
        kind=BreakKind.NO_REFERENT,
        subject=Value("", output_field=CharField()),
        since=Coalesce(Subquery(last_seat_end, output_field=DateTimeField()), F("opened_at")),
    )


def _rule_inactive(now) -> QuerySet:
    # The active referent seat (at most one: follow_up_one_active_referent) joined once, and one
    # cutoff parameter per distinct delay (few of them), chosen by a CASE on the joined delay.
    delay = "b_seat__membership__organisation__inactivity_days"
    delays = set(Organisation.objects.order_by().values_list("inactivity_days", flat=True).distinct())

    def cutoff(days: int) -> Value:
        return Value(now - datetime.timedelta(days=days), output_field=DateTimeField())

    qs = (
        _scanned_pathways()
        .filter(last_activity_at__lt=now - datetime.timedelta(days=min(delays | {DEFAULT_INACTIVITY_DAYS})))
        .annotate(
            b_seat=FilteredRelation("members", condition=Q(members__is_referent=True, members__ended_at__isnull=True))
        )
        .annotate(
            b_cutoff=Case(
                *(When(**{delay: days}, then=cutoff(days)) for days in sorted(delays)),
                default=cutoff(DEFAULT_INACTIVITY_DAYS),
                output_field=DateTimeField(),
            ),
        )
        .filter(last_activity_at__lt=F("b_cutoff"))
    )
    return _row(
        qs,
        pathway_id=F("pk"),
        kind=BreakKind.INACTIVE,
        subject=Value("", output_field=CharField()),
        since=F("last_activity_at"),
    )


def _scanned_referrals() -> QuerySet[Referral]:
    return Referral.objects.filter(pathway__status=PathwayStatus.OPEN, pathway__person__anonymised_at__isnull=True)


def _rule_referral_unanswered(now) -> QuerySet:
    later = Referral.objects.filter(
        pathway=OuterRef("pathway"), theme=OuterRef("theme"), sent_at__gt=OuterRef("sent_at")
    )
    qs = _scanned_referrals().filter(
        Q(status__in=[ReferralStatus.SENT, ReferralStatus.SEEN], due_at__lt=now) | Q(status=ReferralStatus.EXPIRED),
        ~Exists(later),
    )
    return _row(
        qs,
        pathway_id=F("pathway_id"),
        kind=BreakKind.REFERRAL_UNANSWERED,
        subject=_subject("referral:"),
        since=F("due_at"),
    )


def _rule_referral_refused(now) -> QuerySet:
    delay = settings.BREAK_REFUSED_NO_FOLLOW_UP_DAYS
    later = Referral.objects.filter(
        pathway=OuterRef("pathway"), theme=OuterRef("theme"), sent_at__gt=OuterRef("answered_at")
    )
    qs = _scanned_referrals().filter(
        ~Exists(later), status=ReferralStatus.REFUSED, answered_at__lt=now - datetime.timedelta(days=delay)
    )
    return _row(
        qs,
        pathway_id=F("pathway_id"),
        kind=BreakKind.REFERRAL_REFUSED,
        subject=_subject("referral:"),
        since=ExpressionWrapper(F("answered_at") + _days(delay), output_field=DateTimeField()),
    )


def _live_enrolment(pathway_ref: str) -> Exists:
    """A programme enrolment under way on the pathway (candidacy to in progress)."""
    return Exists(
        Enrolment.objects.filter(pathway=OuterRef(pathway_ref), state__in=[str(s) for s in ENROLMENT_ACTIVE_STATES])
    )


def _exit_moment() -> Cast:
    """An enrolment's exit as an instant: midnight UTC of its exit day (as the permit window)."""
    return Cast(F("exited_on"), DateTimeField())


def _exited_after(pathway_ref: str, moment_ref: str) -> Exists:
    """A programme enrolment of the pathway that ended after the instant `moment_ref` (its exit day
    starts after it): the exit, not the earlier item, is then the pathway's latest step."""
    exited = (
        Enrolment.objects.filter(pathway=OuterRef(pathway_ref), state__in=[str(s) for s in ENROLMENT_EXITED_STATES])
        .annotate(b_exit=_exit_moment())
        .filter(b_exit__gt=OuterRef(moment_ref))
    )
    return Exists(exited)


def _nothing_pending(pathway_ref: str) -> Q:
    """No action planned or in progress, no referral under way and no programme enrolment under
    way on the pathway."""
    pending_action = Action.objects.filter(goal__pathway=OuterRef(pathway_ref), status__in=PENDING_ACTION_STATUSES)
    pending_referral = Referral.objects.filter(pathway=OuterRef(pathway_ref), status__in=PENDING_REFERRAL_STATUSES)
    return ~Q(Exists(pending_action)) & ~Q(Exists(pending_referral)) & ~Q(_live_enrolment(pathway_ref))


def _rule_no_next_step_action(now) -> QuerySet:
    # The latest finished item of the pathway, when it is an action (a tie with a referral closed
    # at the same instant goes to the action; a tie between actions to the highest id).
    later_action = Action.objects.filter(goal__pathway=OuterRef("goal__pathway"), finished_at__isnull=False).filter(
        Q(finished_at__gt=OuterRef("finished_at")) | Q(finished_at=OuterRef("finished_at"), pk__gt=OuterRef("pk"))
    )
    later_referral = Referral.objects.filter(
        pathway=OuterRef("goal__pathway"), status=ReferralStatus.CLOSED, closed_at__gt=OuterRef("finished_at")
    )
    qs = Action.objects.filter(
        goal__pathway__status=PathwayStatus.OPEN,
        goal__pathway__person__anonymised_at__isnull=True,
        status__in=FINISHED_ACTION_STATUSES,
        finished_at__isnull=False,
        finished_at__lte=now,
    ).filter(
        ~Exists(later_action),
        ~Exists(later_referral),
        ~Q(_exited_after("goal__pathway", "finished_at")),
        _nothing_pending("goal__pathway"),
    )
    return _row(
        qs,
        pathway_id=F("goal__pathway_id"),
        kind=BreakKind.NO_NEXT_STEP,
        subject=_subject("action:"),
        since=F("finished_at"),
    )


def _rule_no_next_step_referral(now) -> QuerySet:
    later_referral = Referral.objects.filter(pathway=OuterRef("pathway"), status=ReferralStatus.CLOSED).filter(
        Q(closed_at__gt=OuterRef("closed_at")) | Q(closed_at=OuterRef("closed_at"), pk__gt=OuterRef("pk"))
    )
    later_action = Action.objects.filter(
        goal__pathway=OuterRef("pathway"), finished_at__isnull=False, finished_at__gte=OuterRef("closed_at")
    )
    qs = _scanned_referrals().filter(
        status=ReferralStatus.CLOSED,
        closed_at__isnull=False,
        closed_at__lte=now,
    )
    qs = qs.filter(
        ~Exists(later_referral),
        ~Exists(later_action),
        ~Q(_exited_after("pathway", "closed_at")),
        _nothing_pending("pathway"),
    )
    return _row(
        qs,
        pathway_id=F("pathway_id"),
        kind=BreakKind.NO_NEXT_STEP,
        subject=_subject("referral:"),
        since=F("closed_at"),
    )


def _rule_no_next_step_enrolment(now) -> QuerySet:
    """The pathway's latest programme exit (completed or abandoned), older than the delay, with no
    next step: no enrolment under way, no action or referral pending, and nothing begun since the
    exit (an action created or finished, a referral sent or closed on or after the exit day: that
    item is then the latest one and rule 5 reads it instead)."""
    delay = settings.BREAK_PROGRAMME_EXIT_NO_NEXT_STEP_DAYS
    today = timezone.localdate(now)
    later_exit = Enrolment.objects.filter(
        pathway=OuterRef("pathway"), state__in=[str(s) for s in ENROLMENT_EXITED_STATES]
    ).filter(Q(exited_on__gt=OuterRef("exited_on")) | Q(exited_on=OuterRef("exited_on"), pk__gt=OuterRef("pk")))
    action_since = Action.objects.filter(goal__pathway=OuterRef("pathway")).filter(
        Q(created_at__gte=OuterRef("b_exit")) | Q(finished_at__gte=OuterRef("b_exit"))
    )
    referral_since = Referral.objects.filter(pathway=OuterRef("pathway")).filter(
        Q(sent_at__gte=OuterRef("b_exit")) | Q(closed_at__gte=OuterRef("b_exit"))
    )
    qs = (
        Enrolment.objects.filter(
            pathway__status=PathwayStatus.OPEN,
            pathway__person__anonymised_at__isnull=True,
            state__in=[str(s) for s in ENROLMENT_EXITED_STATES],
            exited_on__isnull=False,
            exited_on__lt=today - datetime.timedelta(days=delay),
        )
        .annotate(b_exit=_exit_moment())
        .filter(~Exists(later_exit), ~Exists(action_since), ~Exists(referral_since), _nothing_pending("pathway"))
    )
    return _row(
        qs,
        pathway_id=F("pathway_id"),
        kind=BreakKind.NO_NEXT_STEP,
        subject=_subject("enrolment:"),
        since=F("b_exit"),
        details=JSONObject(enrolment=F("pk"), programme=F("programme__name"), exited_on=F("exited_on")),
    )


def _rule_permit_expiring(now) -> QuerySet:
    days = settings.BREAK_PERMIT_EXPIRY_DAYS
    today = timezone.localdate(now)
    # The alert window opens `days` before the end of validity, at midnight UTC of that day.
    window_start = Cast(
        ExpressionWrapper(F("person__residence_permit_valid_until") - _days(days), output_field=DateTimeField()),
        DateTimeField(),
    )
    renewal = Action.objects.filter(goal__pathway=OuterRef("pk"), kind=ActionKind.PERMIT_RENEWAL).filter(
        Q(status__in=PENDING_ACTION_STATUSES)
        | Q(status=ActionStatus.DONE, finished_at__gte=OuterRef("b_window"))
        | Q(status=ActionStatus.DONE, finished_at__isnull=True, created_at__gte=OuterRef("b_window"))
    )
    qs = (
        _scanned_pathways()
        .filter(person__residence_permit_valid_until__lte=today + datetime.timedelta(days=days))
        .annotate(b_window=window_start)
        .filter(~Exists(renewal))
    )
    return _row(
        qs,
        pathway_id=F("pk"),
        kind=BreakKind.PERMIT_EXPIRING,
        subject=Value("", output_field=CharField()),
        since=F("b_window"),
        details=JSONObject(valid_until=F("person__residence_permit_valid_until")),
    )


def _rule_cir_french_not_started(now) -> QuerySet:
    days = settings.BREAK_CIR_FRENCH_START_DAYS
    today = timezone.localdate(now)
    french = Action.objects.filter(
        goal__pathway=OuterRef("pk"),
        kind=ActionKind.FRENCH_COURSE,
        status__in=[ActionStatus.IN_PROGRESS, ActionStatus.DONE],
    )
    qs = _scanned_pathways().filter(
        ~Exists(french),
        person__integration_contract__signed_on__lte=today - datetime.timedelta(days=days),
        person__integration_contract__french_hours_prescribed__gt=0,
        person__integration_contract__french_hours_done=0,
    )
    return _row(
        qs,
        pathway_id=F("pk"),
        kind=BreakKind.CIR_FRENCH_NOT_STARTED,
        subject=Value("", output_field=CharField()),
        since=Cast(
            ExpressionWrapper(F("person__integration_contract__signed_on") + _days(days), output_field=DateTimeField()),
            DateTimeField(),
        ),
    )


RULES = (
    _rule_no_referent,
    _rule_inactive,
    _rule_referral_unanswered,
    _rule_referral_refused,
    _rule_no_next_step_action,
    _rule_no_next_step_referral,
    _rule_no_next_step_enrolment,
    _rule_permit_expiring,
    _rule_cir_french_not_started,
)


# --- the scan ----------------------------------------------------------------------------------------


def _sql(qs: QuerySet) -> tuple[str, tuple]:
    return qs.query.get_compiler(using=qs.db).as_sql()


def _column_types() -> dict[str, str]:
    fields = {
        "pathway_id": Pathway._meta.pk,
        "kind": PathwayAlert._meta.get_field("kind"),
        "subject": PathwayAlert._meta.get_field("subject"),
        "since": PathwayAlert._meta.get_field("since"),
        "details": PathwayAlert._meta.get_field("details"),
    }
    types = {name: str(field.db_type(connection)) for name, field in fields.items()}
    # An auto-incremented key type ("serial", "integer … AUTOINCREMENT") is not a column type here.
    types["pathway_id"] = "bigint"
    return types


def _analyse(cursor, table: str) -> None:
    """Temporary tables are never auto-analysed: without statistics PostgreSQL would take their
    200,000 rows for a handful and pick nested loops."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {table}")


def _kind_case(labels: dict, *, field: str = "kind") -> Case:
    return Case(*(When(**{field: kind}, then=Value(str(label))) for kind, label in labels.items()), default=Value(""))


def _date_fr(field: str) -> Concat:
    """dd/mm/yyyy in the current time zone, on any database."""

    def two(expr):
        return LPad(Cast(expr, CharField()), 2, Value("0"))

    return Concat(
        two(ExtractDay(field)),
        Value("/"),
        two(ExtractMonth(field)),
        Value("/"),
        Cast(ExtractYear(field), CharField()),
        output_field=CharField(),
    )


def _events_from(alert_ids_sql: str, *, now, opened: bool) -> tuple[str, tuple]:
    alerts = PathwayAlert.objects.filter(pk__in=RawSQL(alert_ids_sql, ())).order_by()
    summary = (
        Concat(_kind_case(_OPENED_LABELS), _date_fr("since"), output_field=CharField())
        if opened
        else _kind_case(_CLOSED_LABELS)
    )
    qs = alerts.annotate(
        e_pathway_id=F("pathway_id"),
        e_at=Value(now, output_field=DateTimeField()),
        e_kind=Value(EventKind.ALERT_OPENED if opened else EventKind.ALERT_CLOSED, output_field=CharField()),
        e_summary=summary,
        e_payload=JSONObject(alert=F("pk"), kind=F("kind")),
        e_category=_kind_case(KIND_CATEGORY),
    ).values_list("e_pathway_id", "e_at", "e_kind", "e_summary", "e_payload", "e_category")
    select, params = _sql(qs)
    table = Event._meta.db_table
    return (
        f"INSERT INTO {table} (pathway_id, at, kind, summary, payload, category, actor_id, organisation_id) "
        f"SELECT q.*, NULL, NULL FROM ({select}) q",
        params,
    )


def scan_breaks(*, now: datetime.datetime | None = None) -> dict:
    """Open an alert for every break found, close those whose condition cleared (or whose pathway
    closed), re-assign open alerts whose referent changed, and write the timeline events. One
    transaction; idempotent. Returns the counts: opened, closed, open (after the scan), and
    `by_kind` {kind: {"opened", "closed", "open"}}."""
    now = now or timezone.now()
    alert_table = PathwayAlert._meta.db_table
    seat_table = FollowUpMember._meta.db_table
    types = _column_types()
    columns_ddl = ", ".join(f"{name} {types[name]}" for name in _COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One scan at a time (the task and the command may overlap).
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [4_242_001])
        for table in _TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_CONDITIONS} ({columns_ddl})")
        cursor.execute(f"CREATE TEMPORARY TABLE {_TO_OPEN} ({columns_ddl}, membership_id bigint)")
        cursor.execute(f"CREATE TEMPORARY TABLE {_OPENING} (alert_id bigint)")
        cursor.execute(f"CREATE TEMPORARY TABLE {_CLOSING} (alert_id bigint, kind varchar(32))")

        # 1. The conditions that hold now, one INSERT … SELECT per rule.
        for rule in RULES:
            select, params = _sql(rule(now))
            cursor.execute(f"INSERT INTO {_CONDITIONS} ({', '.join(_COLUMNS)}) {select}", params)

        cursor.execute(f"CREATE INDEX {_CONDITIONS}_key ON {_CONDITIONS} (pathway_id, kind, subject)")
        _analyse(cursor, _CONDITIONS)

        # 2. Close the open alerts whose condition no longer holds (closed pathways included).
        cursor.execute(
            f"INSERT INTO {_CLOSING} (alert_id, kind) SELECT a.id, a.kind FROM {alert_table} a "
            f"WHERE a.closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM {_CONDITIONS} c "
            f"WHERE c.pathway_id = a.pathway_id AND c.kind = a.kind AND c.subject = a.subject)"
        )
        _analyse(cursor, _CLOSING)
        cursor.execute(f"UPDATE {alert_table} SET closed_at = %s WHERE id IN (SELECT alert_id FROM {_CLOSING})", [now])

        # 3. Re-assign the open alerts whose referent changed.
        referent = (
            f"(SELECT f.membership_id FROM {seat_table} f WHERE f.pathway_id = {alert_table}.pathway_id "
            f"AND f.is_referent = %s AND f.ended_at IS NULL)"
        )
        cursor.execute(
            f"UPDATE {alert_table} SET assignee_membership_id = {referent}, "
            f"assignee = CASE WHEN {referent} IS NULL THEN %s ELSE %s END "
            f"WHERE closed_at IS NULL AND COALESCE(assignee_membership_id, 0) <> COALESCE({referent}, 0)",
            [True, True, AlertAssignee.ORIENTATION, AlertAssignee.REFERENT, True],
        )

        # 4. Open the alerts for conditions without one. The rows to open are set aside first, while
        # the alert table is not being written: read by the INSERT that fills it, an alert table
        # whose statistics say "empty" (first scan after deployment) would be re-read for each new
        # alert. Each rule yields one row per subject, and a pathway has at most one active
        # referent seat, so the join adds no row.
        cursor.execute(
            f"INSERT INTO {_TO_OPEN} ({', '.join(_COLUMNS)}, membership_id) "
            f"SELECT c.pathway_id, c.kind, c.subject, c.since, c.details, f.membership_id "
            f"FROM {_CONDITIONS} c LEFT JOIN {seat_table} f ON f.pathway_id = c.pathway_id "
            f"AND f.is_referent = %s AND f.ended_at IS NULL "
            f"WHERE NOT EXISTS (SELECT 1 FROM {alert_table} a WHERE a.pathway_id = c.pathway_id "
            f"AND a.kind = c.kind AND a.subject = c.subject AND a.closed_at IS NULL)",
            [True],
        )
        _analyse(cursor, _TO_OPEN)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {alert_table}")
        (max_id_before,) = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {alert_table} (pathway_id, kind, subject, since, opened_at, closed_at, assignee, "
            f"assignee_membership_id, details) "
            f"SELECT t.pathway_id, t.kind, t.subject, t.since, %s, NULL, "
            f"CASE WHEN t.membership_id IS NULL THEN %s ELSE %s END, t.membership_id, t.details "
            f"FROM {_TO_OPEN} t",
            [now, AlertAssignee.ORIENTATION, AlertAssignee.REFERENT],
        )
        n_opened = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {_OPENING} (alert_id) SELECT id FROM {alert_table} WHERE id > %s AND opened_at = %s",
            [max_id_before, now],
        )
        _analyse(cursor, _OPENING)
        if n_opened >= _MANY:
            # The alert table has grown a lot (first scan): its statistics, perhaps "empty", would
            # mislead the plans of the statements below.
            _analyse(cursor, alert_table)

        # 5. The timeline: one event per opened and per closed alert.
        for ids_table, opened in ((_OPENING, True), (_CLOSING, False)):
            sql, params = _events_from(f"SELECT alert_id FROM {ids_table}", now=now, opened=opened)
            cursor.execute(sql, params)

        # 6. The counts.
        by_kind = {kind: {"opened": 0, "closed": 0, "open": 0} for kind in BreakKind.values}
        cursor.execute(
            f"SELECT a.kind, COUNT(*) FROM {_OPENING} o JOIN {alert_table} a ON a.id = o.alert_id GROUP BY a.kind"
        )
        for kind, n in cursor.fetchall():
            by_kind[kind]["opened"] = n
        cursor.execute(f"SELECT kind, COUNT(*) FROM {_CLOSING} GROUP BY kind")
        for kind, n in cursor.fetchall():
            by_kind[kind]["closed"] = n
        cursor.execute(f"SELECT kind, COUNT(*) FROM {alert_table} WHERE closed_at IS NULL GROUP BY kind")
        for kind, n in cursor.fetchall():
            by_kind[kind]["open"] = n
        for table in _TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE {table}")
    return {
        "opened": sum(k["opened"] for k in by_kind.values()),
        "closed": sum(k["closed"] for k in by_kind.values()),
        "open": sum(k["open"] for k in by_kind.values()),
        "by_kind": by_kind,
    }


# --- selectors ---------------------------------------------------------------------------------------


def _open_alerts() -> QuerySet[PathwayAlert]:
    return PathwayAlert.objects.filter(closed_at__isnull=True)


def _permit_readable(membership: Membership) -> Q:
    """The permit alert tells about a sensitive category (residence status): listed only for a
    reader the person's consent for the accompaniment covers (people.selectors.consent_exists, the
    rule of consented_categories per row)."""
    consent = consent_exists(
        person_ref=OuterRef("pathway__person_id"), category=DataCategory.RESIDENCE_STATUS, membership=membership
    )
    return ~Q(kind=BreakKind.PERMIT_EXPIRING) | Q(consent)


def alerts_to_handle(*, membership: Membership, kind: str = "") -> QuerySet[PathwayAlert]:
    """A professional's queue: the open alerts assigned to this membership's referent seats, and,
    for a chargé·e d'orientation, the open alerts without a referent of the départements where
    the membership holds an active territory grant. Oldest first."""
    if not membership.is_active or not membership.organisation.is_active:
        return PathwayAlert.objects.none()
    # The seat is read live: a referent replaced since the last scan no longer sees the alert.
    still_referent = FollowUpMember.objects.filter(
        pathway=OuterRef("pathway"), membership=membership, is_referent=True, ended_at__isnull=True
    )
    condition = Q(assignee=AlertAssignee.REFERENT, assignee_membership=membership) & Q(Exists(still_referent))
    if membership.role == Role.CHARGE_ORIENTATION:
        granted = TerritoryGrant.objects.filter(membership=membership, revoked_at__isnull=True).values("departement_id")
        condition |= Q(assignee=AlertAssignee.ORIENTATION, pathway__departement_id__in=granted)
    qs = _open_alerts().filter(condition, pathway__status=PathwayStatus.OPEN).filter(_permit_readable(membership))
    if kind in BreakKind.values:
        qs = qs.filter(kind=kind)
    return qs.select_related("pathway__person", "assignee_membership__user").order_by("since", "id")


def _counts(qs: QuerySet[PathwayAlert]) -> dict[str, int]:
    counts = dict.fromkeys(BreakKind.values, 0)
    counts.update(dict(qs.order_by().values_list("kind").annotate(n=Count("id"))))
    return counts


def alert_counts_for_organisation(*, organisation: Organisation) -> dict[str, int]:
    """Open alerts by kind on pathways whose active referent belongs to the organisation. Counts only."""
    referent_here = FollowUpMember.objects.filter(
        pathway=OuterRef("pathway"), is_referent=True, ended_at__isnull=True, membership__organisation=organisation
    )
    return _counts(_open_alerts().filter(Exists(referent_here)))


def alert_counts_for_departement(*, departement_code: str) -> dict[str, int]:
    """Open alerts by kind on the open pathways of the département. Counts only, never a person."""
    return _counts(_open_alerts().filter(pathway__departement_id=departement_code))


def open_alerts_of_pathway(*, pathway: Pathway, categories: frozenset[str] | None = None) -> QuerySet[PathwayAlert]:
    """The pathway's open alerts, oldest first; with `categories`, without those about a sensitive
    category the reader may not see."""
    qs = _open_alerts().filter(pathway=pathway)
    if categories is not None:
        hidden = [kind for kind, category in KIND_CATEGORY.items() if category not in categories]
        qs = qs.exclude(kind__in=hidden)
    return qs.select_related("assignee_membership__user", "assignee_membership__organisation").order_by("since", "id")
