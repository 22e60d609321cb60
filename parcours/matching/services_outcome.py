"""Training the outcome model of the placement optimiser (parcours/matching/outcome.py) on the
history of the database, and keeping one model in service per scope (a programme, or every
programme when `programme` is None).

A planner (parcours.matching.access.require_plan: an accompanying professional of one of the
programme's operator organisations) trains the model of a programme: its own history is tried
first; when it is too thin, the history of every programme is used, but the model is stored under
the programme's own scope with a message saying so (OutcomeModel.message): a planner of one
programme never replaces the model other programmes use. The all-programmes scope (programme None,
which serves every programme without a model of its own) is written only by the unattended
`placement_train` command (an operator with shell access), which stores a model trained on every
programme's history there.
A new active model supersedes the previous active one of the same scope. When even the whole history
is too thin, an INSUFFICIENT row keeps the French reason (shown on the page) and the model in
service, if any, stays in service: history does not shrink, a later training will replace it."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.models import Membership
from parcours.programmes.models import Programme

from . import access, outcome
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


def _fit(programme: Programme, *, shared_scope: bool) -> tuple[Programme | None, outcome.TrainingResult, str]:
    """(scope, result, note): the programme's history, else every programme's — stored under the
    all-programmes scope only when `shared_scope` (the unattended command), else under the
    programme's."""
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
            return (None if shared_scope else programme), result_all, note
        return programme, result_all, result_all.message
    return programme, result, own_message


@transaction.atomic
def _store(*, programme: Programme, user, shared_scope: bool) -> OutcomeModel:
    scope, result, note = _fit(programme, shared_scope=shared_scope)
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
    """Train the outcome model for the programme (see the module docstring); the row is always of
    the programme's scope. Planner only: PermissionDenied otherwise, nothing written."""
    access.require_plan(membership, programme)
    with transaction.atomic():
        row = _store(programme=programme, user=membership.user, shared_scope=False)
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
    membership): audited without actor. Unlike a planner's, a model trained on every programme's
    history (the programme's own being too thin) is stored under the all-programmes scope, where it
    serves every programme without a model of its own."""
    with transaction.atomic():
        row = _store(programme=programme, user=None, shared_scope=True)
        audit_log(
            actor=None,
            action=AuditAction.CREATE,
            obj=row,
            fields=["status", "n_samples", "auc", "params"],
            reason=row.message,
        )
    return row
