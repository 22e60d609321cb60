"""Training the outcome model of the placement optimiser (parcours/matching/outcome.py) on the
history of the database, and keeping one model in service per scope (a programme, or every
programme when `programme` is None).

A planner (programmes.access.can_manage_sessions) trains the model of a programme: its own history
is tried first; when it is too thin, the history of every programme is used and the model is
stored for the all-programmes scope (which serves every programme without a model of its own).
A new active model supersedes the previous active one of the same scope. When even the whole history
is too thin, an INSUFFICIENT row keeps the French reason (shown on the page) and the model in
service, if any, stays in service: history does not shrink, a later training will replace it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.models import Membership
from parcours.programmes import access
from parcours.programmes.models import Programme

from . import outcome
from .enums import ModelStatus
from .models import OutcomeModel
from .selectors_outcome import training_set

# Seed of the cross-validation folds: fixed, so that the same history gives the same model.
TRAINING_SEED = 0
# Arbitrary constant key of the PostgreSQL advisory lock serialising trainings of one scope.
_TRAIN_LOCK_KEY = 7_020_007


def _lock_scope(programme: Programme | None) -> None:
    """Two trainings of the same scope at once would both supersede the same row and leave two
    active models: they are serialised."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_TRAIN_LOCK_KEY, programme.pk if programme else 0])


def _fit(programme: Programme) -> tuple[Programme | None, outcome.TrainingResult, str]:
    """(scope, result, note): the programme's history, else every programme's."""
    X, y = training_set(programme=programme)
    result = outcome.train(X, y, seed=TRAINING_SEED)
    if result.model is not None:
        return programme, result, ""
    own_message = result.message
    X_all, y_all = training_set(programme=None)
    if len(y_all) > len(y):
        result_all = outcome.train(X_all, y_all, seed=TRAINING_SEED)
        if result_all.model is not None:
            note = _(
                "Historique du programme insuffisant (%(n)d sortie(s) connue(s)) : modèle entraîné sur les "
                "sorties de tous les programmes (%(all)d)."
            ) % {"n": result.n, "all": result_all.n}
            return None, result_all, note
        return programme, result_all, result_all.message
    return programme, result, own_message


@transaction.atomic
def _store(*, programme: Programme, user) -> OutcomeModel:
    scope, result, note = _fit(programme)
    _lock_scope(scope)
    model = result.model
    row = OutcomeModel(
        programme=scope,
        status=ModelStatus.ACTIVE if model is not None else ModelStatus.INSUFFICIENT,
        trained_by=user,
        n_samples=result.n,
        n_positive=result.n_positive,
        auc=result.auc,
        auc_folds=[round(v, 6) for v in result.auc_folds],
        brier=result.brier,
        calibration=result.calibration,
        features=list(outcome.FEATURES),
        params=model.to_params() if model is not None else {},
        message=(note or result.message)[:500],
    )
    if model is not None:
        OutcomeModel.objects.filter(programme=scope, status=ModelStatus.ACTIVE).update(status=ModelStatus.SUPERSEDED)
    row.save(force_insert=True)
    return row


def outcome_model_train(*, membership: Membership, programme: Programme) -> OutcomeModel:
    """Train the outcome model for the programme (see the module docstring). Planner only:
    PermissionDenied otherwise, nothing written."""
    if not access.can_manage_sessions(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·es les gestionnaires du programme et les professionnel·les de ses centres opérateurs "
                "peuvent entraîner le modèle de réussite."
            )
        )
    with transaction.atomic():
        row = _store(programme=programme, user=membership.user)
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.CREATE,
            obj=row,
            fields=["status", "n_samples", "auc", "params"],
            reason=row.message,
        )
    return row


def outcome_model_train_unattended(*, programme: Programme) -> OutcomeModel:
    """The same training run by the `placement_train` command (an operator with shell access, no
    membership): audited without actor."""
    with transaction.atomic():
        row = _store(programme=programme, user=None)
        audit_log(
            actor=None,
            action=AuditAction.CREATE,
            obj=row,
            fields=["status", "n_samples", "auc", "params"],
            reason=row.message,
        )
    return row
