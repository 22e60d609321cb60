"""The placement pages: the programme's affectations, one batch (settings, proposal, explanations,
fairness report, predicted vs observed), a person's preferences and the planner's override; each
with its refused case (login, 403 for anyone outside the placement committee, 404), its bad input
(French message, nothing written) and the READ audit entry of every person shown."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.matching import services_placement
from parcours.matching.enums import BatchKind, BatchStatus, Exclusion, ModelStatus
from parcours.matching.models import OutcomeModel, PlacementBatch, PlacementLine, PlacementPrices
from parcours.organisations.enums import OrganisationKind, Role
from parcours.pathways.models import Pathway
from parcours.programmes.enums import EnrolmentState, ExitOutcome
from parcours.programmes.models import Enrolment
from parcours.www.placement import views
from tests.factories import CommuneFactory, MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def html_of(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def commune():
    return CommuneFactory()


@pytest.fixture
def centre():
    return OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")


@pytest.fixture
def programme(centre):
    return ProgrammeFactory(code="hope", name="HOPE Loire-Atlantique", operators=[centre])


@pytest.fixture
def sessions(programme, centre, commune):
    return [
        SessionFactory(programme=programme, operator=centre, commune=commune, label="HOPE Saint-Herblain", places=2),
        SessionFactory(programme=programme, operator=centre, commune=commune, label="HOPE Rezé", places=2),
    ]


@pytest.fixture
def candidates(sessions, commune):
    """Three people with a candidacy on the first session (4 places in all: everybody fits)."""
    people = []
    for name in ("Amina", "Bilal", "Chen"):
        pathway = PathwayFactory(person=PersonFactory(first_name=name, last_name="Test", commune=commune))
        EnrolmentFactory(session=sessions[0], pathway=pathway)
        people.append(pathway)
    return people


@pytest.fixture
def planner(centre):
    """The placement committee: an accompanying professional of an operator organisation."""
    return MembershipFactory(organisation=centre, role=Role.CONSEILLER)


@pytest.fixture
def owner_pilote(programme):
    return MembershipFactory(organisation=programme.owner, role=Role.PILOTE)


@pytest.fixture
def operator_admin(centre):
    return MembershipFactory(organisation=centre, role=Role.ADMIN_STRUCTURE)


@pytest.fixture
def stranger():
    """An accompanying professional of an organisation that does not operate the programme."""
    return MembershipFactory(role=Role.CONSEILLER)


REFUSED = ["owner_pilote", "operator_admin", "stranger"]


@pytest.fixture
def batch(planner, programme, candidates):
    return services_placement.batch_create(membership=planner, programme=programme)


@pytest.fixture
def solved(planner, batch):
    return services_placement.batch_solve(membership=planner, batch=batch)


def _lines(batch) -> list[PlacementLine]:
    return list(batch.lines.select_related("pathway__person", "final_session").order_by("arrived_at", "pk"))


def _urls(batch) -> dict[str, str]:
    line = _lines(batch)[0]
    return {
        "home": reverse("placement_home", args=["hope"]),
        "batch": reverse("placement_batch", args=["hope", batch.pk]),
        "preferences": reverse("placement_line_preferences", args=["hope", batch.pk, line.pk]),
        "override": reverse("placement_line_override", args=["hope", batch.pk, line.pk]),
    }


# --- formatting -----------------------------------------------------------------------------------


def test_figures_read_as_a_counsellor_reads_them():
    assert views.percent(0.624) == f"62{NBSP}%"
    assert views.percent(None) == "—"
    assert views.price_text(0.0412) == "prix 0,04 (session très demandée)"
    assert views.price_text(0.0123) == "prix 0,01 (session demandée)"
    assert views.price_text(0.0) == "non disputée"
    assert views.price_text(None) == ""
    rows = views.factor_rows([{"label": "Niveau de français", "effect": 0.8}, {"label": "Distance", "effect": -0.3}])
    assert [(r["sign"], r["label"]) for r in rows] == [("+", "Niveau de français"), ("−", "Distance")]
    assert views.exclusion_label(Exclusion.CHILDCARE) == "Garde d'enfants nécessaire, la session n'en propose pas"


def test_solver_and_score_sentences():
    batch = PlacementBatch(solver="flow", proven_optimal=True)
    assert views.solver_sentence(batch) == "Optimum prouvé (flot à coût minimum)"
    batch.solver = "mip"
    assert views.solver_sentence(batch) == "Optimum prouvé (programme en nombres entiers, foyers gardés ensemble)"
    model = OutcomeModel(status=ModelStatus.ACTIVE, n_samples=240, n_positive=90, auc=0.74)
    sentence = views.score_source_sentence("model", model)
    assert "240 parcours passés" in sentence and "AUC 0,74" in sentence
    thin = OutcomeModel(status=ModelStatus.INSUFFICIENT, message="Seulement 12 sorties connues.")
    sentence = views.score_source_sentence("fallback", None, views.fallback_reason(thin))
    assert sentence.startswith("Score transparent") and "Seulement 12 sorties connues." in sentence


def test_calibration_chart_places_points_on_the_square():
    chart = views.calibration_chart([{"predicted": 0.0, "observed": 0.0, "n": 40}, {"predicted": 1, "observed": 1}])
    first, last = chart["points"]
    assert (first["cx"], first["cy"]) == (chart["left"], chart["bottom"])
    assert (last["cx"], last["cy"]) == (chart["right"], chart["top"])


# --- rights ---------------------------------------------------------------------------------------


def test_every_page_needs_login(client, batch):
    for url in _urls(batch).values():
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login")), url


def _reads_by(membership) -> int:
    return AuditEntry.objects.filter(actor=membership.user, action=AuditAction.READ).count()


def _state(batch) -> tuple:
    """Everything a refused POST could have changed."""
    batch.refresh_from_db()
    lines = [
        (
            ln.pk,
            ln.household,
            ln.accepts_move,
            ln.needs_childcare,
            ln.preferred_sessions,
            ln.refused_sessions,
            ln.final_session_id,
            ln.override_reason,
        )
        for ln in _lines(batch)
    ]
    enrolments = sorted(Enrolment.objects.values_list("pk", "session_id", "state"))
    return (
        PlacementBatch.objects.count(),
        batch.status,
        batch.balancing,
        lines,
        enrolments,
        OutcomeModel.objects.count(),
        PlacementPrices.objects.count(),
    )


@pytest.mark.parametrize("who", REFUSED)
def test_every_page_is_refused_outside_the_placement_committee(request, login, solved, who):
    # The programme owner's pilote, the operator's structure administrator and a professional of
    # a non-operator organisation see no person here: 403, and no read is recorded.
    membership = request.getfixturevalue(who)
    client = login(membership)
    for url in _urls(solved).values():
        assert client.get(url).status_code == 403, url
    assert _reads_by(membership) == 0


@pytest.mark.parametrize("who", REFUSED)
def test_every_action_is_refused_outside_the_placement_committee(request, login, solved, candidates, sessions, who):
    membership = request.getfixturevalue(who)
    client = login(membership)
    before = _state(solved)
    line = _lines(solved)[0]
    other = next(s for s in sessions if s.pk != line.final_session_id)
    posts = [
        (reverse("placement_batch_create", args=["hope"]), {}),
        (reverse("placement_model_train", args=["hope"]), {}),
        (reverse("placement_prices_refresh", args=["hope"]), {}),
        (reverse("placement_online_place", args=["hope", candidates[0].pk]), {}),
        (reverse("placement_batch_solve", args=["hope", solved.pk]), {}),
        (reverse("placement_batch_validate", args=["hope", solved.pk]), {}),
        (reverse("placement_batch_cancel", args=["hope", solved.pk]), {}),
        (
            reverse("placement_batch_balancing", args=["hope", solved.pk]),
            {"session_min": "10", "session_max": "90", "territory_min": "0", "territory_max": "100"},
        ),
        (
            reverse("placement_line_preferences", args=["hope", solved.pk, line.pk]),
            {"household": "famille-z", "accepts_move": "on"},
        ),
        (
            reverse("placement_line_override", args=["hope", solved.pk, line.pk]),
            {"session": str(other.pk), "reason": "Motif"},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert _state(solved) == before
    assert _reads_by(membership) == 0


def test_unknown_ids_and_other_programmes_batches_are_404(login, planner, solved, centre, commune):
    client = login(planner)
    line = _lines(solved)[0]
    assert client.get(reverse("placement_home", args=["inconnu"])).status_code == 404
    assert client.get(reverse("placement_batch", args=["hope", solved.pk + 1000])).status_code == 404
    assert client.get(reverse("placement_line_override", args=["hope", solved.pk, line.pk + 1000])).status_code == 404
    assert client.get(reverse("placement_line_preferences", args=["hope", solved.pk, 0])).status_code == 404
    assert client.post(reverse("placement_batch_solve", args=["hope", solved.pk + 1000])).status_code == 404
    # The same centre operates another programme: its code does not open this batch, nor its lines.
    plie = ProgrammeFactory(code="plie", operators=[centre])
    session = SessionFactory(programme=plie, operator=centre, commune=commune, label="PLIE Nantes", places=3)
    EnrolmentFactory(session=session, pathway=PathwayFactory(person=PersonFactory(commune=commune)))
    other_batch = services_placement.batch_create(membership=planner, programme=plie)
    other_line = _lines(other_batch)[0]
    before = _state(solved)
    for url in (
        reverse("placement_batch", args=["plie", solved.pk]),
        reverse("placement_line_override", args=["plie", solved.pk, line.pk]),
        reverse("placement_line_preferences", args=["plie", solved.pk, line.pk]),
        # A line of another batch, under this batch.
        reverse("placement_line_preferences", args=["hope", solved.pk, other_line.pk]),
        reverse("placement_line_preferences", args=["plie", other_batch.pk, line.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("placement_batch_solve", args=["plie", solved.pk]), {}),
        (reverse("placement_batch_validate", args=["plie", solved.pk]), {}),
        (reverse("placement_batch_cancel", args=["plie", solved.pk]), {}),
        (reverse("placement_batch_balancing", args=["plie", solved.pk]), {"session_min": "0", "session_max": "50"}),
        (reverse("placement_line_preferences", args=["plie", solved.pk, line.pk]), {"household": "x"}),
        (
            reverse("placement_line_override", args=["hope", solved.pk, other_line.pk]),
            {"session": "aucune", "reason": "Motif"},
        ),
    ):
        assert client.post(url, data).status_code == 404, url
    assert _state(solved) == before


def test_a_planner_of_another_programme_only_gets_404_for_this_batch(login, solved, commune):
    # Out of scope: a professional of a centre operating only "plie" plans plie, not hope's batches.
    other_centre = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION)
    ProgrammeFactory(code="plie", operators=[other_centre])
    client = login(MembershipFactory(organisation=other_centre, role=Role.CONSEILLER))
    assert client.get(reverse("placement_home", args=["plie"])).status_code == 200
    assert client.get(reverse("placement_batch", args=["plie", solved.pk])).status_code == 404
    assert client.post(reverse("placement_batch_validate", args=["plie", solved.pk])).status_code == 404
    assert client.get(reverse("placement_batch", args=["hope", solved.pk])).status_code == 403
    solved.refresh_from_db()
    assert solved.status == BatchStatus.SOLVED


def test_programme_page_links_to_affectations_for_the_placement_committee_only(
    login, planner, owner_pilote, operator_admin, stranger, programme
):
    url = reverse("placement_home", args=["hope"])
    assert url in html_of(login(planner).get(reverse("programme_detail", args=["hope"])))
    for membership in (owner_pilote, operator_admin, stranger):
        assert url not in html_of(login(membership).get(reverse("programme_detail", args=["hope"])))


# --- READ audit of every person shown -------------------------------------------------------------


def _reads(view: str, model) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.READ, object_type=f"{model._meta.label_lower}:{view}"))


def test_home_records_a_read_per_online_candidate(login, planner, candidates):
    login(planner).get(reverse("placement_home", args=["hope"]))
    entries = _reads("placement_home", Pathway)
    assert sorted(e.person_id for e in entries) == sorted(p.person_id for p in candidates)
    assert {e.object_id for e in entries} == {str(p.pk) for p in candidates}
    assert {e.actor_id for e in entries} == {planner.user_id}
    assert {e.organisation_id for e in entries} == {planner.organisation_id}


def test_batch_page_records_a_read_per_person_shown(login, planner, solved, candidates):
    login(planner).get(reverse("placement_batch", args=["hope", solved.pk]))
    entries = _reads("placement_batch", PlacementLine)
    assert sorted(e.person_id for e in entries) == sorted(p.person_id for p in candidates)
    assert {e.object_id for e in entries} == {str(ln.pk) for ln in _lines(solved)}


def test_preferences_and_override_pages_record_a_read_of_their_person(login, planner, solved):
    client = login(planner)
    line = _lines(solved)[0]
    client.get(reverse("placement_line_override", args=["hope", solved.pk, line.pk]))
    client.get(reverse("placement_line_preferences", args=["hope", solved.pk, line.pk]))
    for view in ("placement_line_override", "placement_line_preferences"):
        entries = _reads(view, PlacementLine)
        assert [(e.object_id, e.person_id) for e in entries] == [(str(line.pk), line.pathway.person_id)], view


# --- home -----------------------------------------------------------------------------------------


def test_home_lists_batches_model_prices_and_online_candidates(login, planner, programme, candidates, sessions):
    client = login(planner)
    html = html_of(client.get(reverse("placement_home", args=["hope"])))
    assert "Nouvelle affectation" in html and "Entraîner le modèle" in html and "Recalculer les prix" in html
    assert "aucun modèle n&#x27;a encore été entraîné" in html
    assert "Amina TEST" in html  # an online candidate, with "Proposer une session"
    OutcomeModel.objects.create(
        programme=programme,
        status=ModelStatus.ACTIVE,
        n_samples=240,
        n_positive=90,
        auc=0.74,
        auc_folds=[0.71, 0.77],
        brier=0.19,
        calibration=[{"predicted": 0.2, "observed": 0.25, "n": 60}, {"predicted": 0.6, "observed": 0.55, "n": 50}],
    )
    html = html_of(client.get(reverse("placement_home", args=["hope"])))
    assert "En service" in html and "0,74" in html and "0,71 ; 0,77" in html
    assert "<svg" in html and "<title" in html and "style=" not in html
    # 20 % predicted, 25 % observed: whole SVG units (never a decimal comma).
    left, size = views.CHART_MARGIN, views.CHART_SIZE
    assert f'<circle cx="{left + size // 5}" cy="{left + size * 3 // 4}"' in html
    assert f'<th scope="row">20{NBSP}%</th><td>25{NBSP}%</td><td>60</td>' in html


def test_new_batch_then_again_returns_the_same_draft(login, planner, candidates):
    client = login(planner)
    response = client.post(reverse("placement_batch_create", args=["hope"]))
    batch = PlacementBatch.objects.get()
    assert response.url == reverse("placement_batch", args=["hope", batch.pk])
    assert batch.lines.count() == 3
    client.post(reverse("placement_batch_create", args=["hope"]))
    assert PlacementBatch.objects.count() == 1


def test_new_batch_without_candidate_says_why_and_writes_nothing(login, planner, sessions):
    response = login(planner).post(reverse("placement_batch_create", args=["hope"]), follow=True)
    assert any("rien à affecter" in m for m in messages_of(response))
    assert not PlacementBatch.objects.exists()


def test_training_without_history_keeps_the_transparent_score(login, planner, programme):
    response = login(planner).post(reverse("placement_model_train", args=["hope"]), follow=True)
    assert any("Pas de modèle" in m for m in messages_of(response))
    assert OutcomeModel.objects.get().status == ModelStatus.INSUFFICIENT
    html = html_of(response)
    assert "Historique insuffisant" in html and "Score transparent en service" in html


def test_online_arrival_gets_a_proposal(login, planner, candidates, sessions):
    client = login(planner)
    response = client.post(reverse("placement_online_place", args=["hope", candidates[0].pk]))
    batch = PlacementBatch.objects.get()
    assert batch.kind == BatchKind.ONLINE and batch.status == BatchStatus.SOLVED
    assert response.url == reverse("placement_batch", args=["hope", batch.pk])
    html = html_of(client.get(response.url))
    assert "Amina TEST" in html and "Valider l'affectation" in html
    assert "Placement au fil de l&#x27;eau" in html
    assert "1 personne placée sur 1." in html
    # One person placed on arrival: no balancing, no preferences, no batch solve.
    assert "Équilibrage" not in html and "Modifier les préférences" not in html and "Calculer l'affectation" not in html
    line = batch.lines.get()
    response = client.get(reverse("placement_line_preferences", args=["hope", batch.pk, line.pk]), follow=True)
    assert any("ne reprend pas de préférences" in m for m in messages_of(response))
    # A forged balancing POST is refused by the service, in French, and writes nothing.
    data = {"session_min": "10", "session_max": "90", "territory_min": "0", "territory_max": "100"}
    response = client.post(reverse("placement_batch_balancing", args=["hope", batch.pk]), data, follow=True)
    assert any("au fil de l'eau" in m and "Rien n'a été modifié" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.balancing == {} and batch.status == BatchStatus.SOLVED
    # Someone with no open candidacy on the programme: 404, nothing written.
    other = PathwayFactory()
    assert client.post(reverse("placement_online_place", args=["hope", other.pk])).status_code == 404
    assert PlacementBatch.objects.count() == 1


def test_prices_refresh(login, planner, candidates):
    response = login(planner).post(reverse("placement_prices_refresh", args=["hope"]), follow=True)
    assert any("prix des sessions sont recalculés" in m for m in messages_of(response))
    assert "Prix de chaque session ouverte" in html_of(response)


# --- one batch ------------------------------------------------------------------------------------


def test_draft_batch_shows_settings_candidates_and_solve(login, planner, batch):
    html = html_of(login(planner).get(reverse("placement_batch", args=["hope", batch.pk])))
    assert "Équilibrage" in html and "Calculer l'affectation" in html
    assert "Bilal TEST" in html and "HOPE Saint-Herblain" in html  # the session applied to
    assert "Valider l'affectation" not in html


def test_balancing_bad_input_is_refused_in_french_and_nothing_changes(login, planner, batch):
    client = login(planner)
    url = reverse("placement_batch_balancing", args=["hope", batch.pk])
    data = {"session_min": "80", "session_max": "50", "territory_min": "0", "territory_max": "100"}
    response = client.post(url, data, follow=True)
    assert any("ne peut dépasser son maximum" in m for m in messages_of(response))
    response = client.post(url, {**data, "session_min": "deux"}, follow=True)
    assert any("nombre entier" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.balancing == {}
    client.post(url, {**data, "session_min": "10"})
    batch.refresh_from_db()
    assert batch.balancing["session_min"] == 10 and batch.balancing["session_max"] == 50


def test_solved_batch_explains_each_person(login, planner, solved):
    # One proposal's explanation made known, to check how it reads.
    line = _lines(solved)[0]
    line.predicted, line.price = 0.62, 0.0412
    line.factors = [{"label": "Niveau de français", "effect": 0.5}, {"label": "Distance", "effect": -0.2}]
    line.excluded = [{"session": 0, "label": "HOPE Nantes Nord", "constraint": int(Exclusion.CHILDCARE)}]
    line.next_best = {"session": line.final_session_id, "label": "HOPE Rezé", "predicted": 0.48}
    line.save()
    html = html_of(login(planner).get(reverse("placement_batch", args=["hope", solved.pk])))
    assert "Optimum prouvé (flot à coût minimum)" in html
    assert "Score transparent" in html
    assert f"réussite prédite 62{NBSP}%" in html
    assert "prix 0,04 (session très demandée)" in html
    assert "Niveau de français" in html and "−" in html
    assert "HOPE Nantes Nord" in html and escape("Garde d'enfants nécessaire, la session n'en propose pas") in html
    assert f"Meilleure autre option : HOPE Rezé (réussite prédite 48{NBSP}%)" in html
    assert "3 personnes placées sur 3" in html
    # The fairness report: the three methods, a table per dimension with its caption.
    assert "premier arrivé" in html.lower() and "aléatoire" in html.lower()
    assert "Sexe : taux de placement et réussite prédite moyenne par groupe" in html
    assert "Niveau de français : taux de placement" in html
    assert "Valider l'affectation" in html
    assert reverse("placement_line_override", args=["hope", solved.pk, line.pk]) in html
    assert "style=" not in html


def test_infeasible_batch_lists_binding_constraints_and_unplaced_people(login, planner, batch, sessions):
    for session in sessions:
        session.places = 1
        session.save()
    solved = services_placement.batch_solve(membership=planner, batch=batch)
    unplaced = [line for line in _lines(solved) if line.final_session_id is None]
    assert len(unplaced) == 1
    html = html_of(login(planner).get(reverse("placement_batch", args=["hope", solved.pk])))
    assert "Tout le monde ne peut pas être placé" in html
    assert "Personnes non placées" in html and unplaced[0].pathway.person.full_name in html
    for sentence in solved.infeasibility:
        assert escape(sentence) in html


def test_fairness_flags_are_marked(login, planner, solved):
    solved.report = {
        "methods": [
            {"name": "optimiseur", "total": 2.1, "placed": 3, "placed_rate": 1.0, "mean": 0.7},
            {"name": "premier arrivé", "total": 1.5, "placed": 2, "placed_rate": 0.67, "mean": 0.5},
        ],
        "dimensions": [
            {
                "key": "sex",
                "label": "Sexe",
                "groups": [
                    {
                        "label": "Femme",
                        "n": 6,
                        "small": False,
                        "methods": [
                            {"name": "optimiseur", "placed_rate": 0.5, "mean_predicted": 0.3},
                            {"name": "premier arrivé", "placed_rate": 0.6, "mean_predicted": 0.4},
                        ],
                        "flags": ["Sexe Femme : taux de placement 50 % contre 100 % en moyenne (écart de 50 points)"],
                    }
                ],
            }
        ],
        "flags": ["Sexe Femme : taux de placement 50 % contre 100 % en moyenne (écart de 50 points)"],
    }
    solved.save()
    html = html_of(login(planner).get(reverse("placement_batch", args=["hope", solved.pk])))
    assert "Écarts signalés" in html and "Écart signalé" in html
    assert "écart de 50 points" in html
    assert f"<td>50{NBSP}%</td><td>30{NBSP}%</td><td>60{NBSP}%</td><td>40{NBSP}%</td>" in html
    # Not validated: no outcome to compare yet.
    assert "Réussite prédite et observée" not in html


def test_validated_batch_compares_predicted_and_observed_once_outcomes_are_in(login, planner, solved):
    client = login(planner)
    url = reverse("placement_batch", args=["hope", solved.pk])
    client.post(reverse("placement_batch_validate", args=["hope", solved.pk]))
    solved.refresh_from_db()
    assert solved.status == BatchStatus.VALIDATED
    assert "Réussite prédite et observée" not in html_of(client.get(url))  # no exit known yet
    lines = _lines(solved)
    enrolments = Enrolment.objects.filter(pathway__in=[ln.pathway_id for ln in lines], state=EnrolmentState.ENROLLED)
    assert enrolments.count() == 3
    # Two of the three leave the programme: one in employment (positive), one still looking for a job.
    first, second = (ln.pathway_id for ln in lines[:2])
    for pathway_id, outcome in ((first, ExitOutcome.SUSTAINABLE_EMPLOYMENT), (second, ExitOutcome.JOB_SEARCH)):
        enrolment = enrolments.get(pathway_id=pathway_id)
        enrolment.state = EnrolmentState.COMPLETED
        enrolment.exited_on = enrolment.enrolled_on
        enrolment.exit_outcome = outcome
        enrolment.save()
    html = html_of(client.get(url))
    assert "Réussite prédite et observée" in html
    predicted = (lines[0].predicted + lines[1].predicted) / 2
    gap = 0.5 - predicted
    gap_text = f"{'+' if gap >= 0 else '−'}{abs(round(100 * gap))} points"
    overall = (
        f'<th scope="row">Ensemble</th><td>2</td><td>1</td><td>{views.percent(predicted)}</td>'
        f"<td>50{NBSP}%</td><td>{gap_text}</td>"
    )
    assert overall in html
    assert '<th scope="row">Sexe : ' in html  # per group too


# --- preferences ----------------------------------------------------------------------------------


def test_preferences_page_and_save(login, planner, batch, sessions):
    client = login(planner)
    line = _lines(batch)[0]
    url = reverse("placement_line_preferences", args=["hope", batch.pk, line.pk])
    html = html_of(client.get(url))
    assert "Accepte de déménager" in html and "Sessions refusées" in html and "HOPE Rezé" in html
    response = client.post(
        url,
        {
            "household": "famille-a",
            "accepts_move": "on",
            "preferred_sessions": [str(sessions[0].pk)],
            "refused_sessions": [str(sessions[1].pk)],
        },
    )
    assert response.url == reverse("placement_batch", args=["hope", batch.pk]) + f"#ligne-{line.pk}"
    line.refresh_from_db()
    assert (line.household, line.accepts_move, line.needs_childcare) == ("famille-a", True, False)
    assert line.preferred_sessions == [sessions[0].pk] and line.refused_sessions == [sessions[1].pk]


def test_preferences_bad_input_shows_french_errors_and_writes_nothing(login, planner, batch, sessions):
    client = login(planner)
    line = _lines(batch)[0]
    url = reverse("placement_line_preferences", args=["hope", batch.pk, line.pk])
    before = (line.household, line.preferred_sessions, line.refused_sessions)
    both = {"preferred_sessions": [str(sessions[1].pk)], "refused_sessions": [str(sessions[1].pk)]}
    html = html_of(client.post(url, both))
    assert "à la fois souhaitée et refusée" in html
    html = html_of(client.post(url, {"preferred_sessions": ["999999"], "household": "x" * 30}))
    assert "ne fait pas partie de l&#x27;affectation" in html and "ne peut dépasser 20 caractères" in html
    line.refresh_from_db()
    assert (line.household, line.preferred_sessions, line.refused_sessions) == before


def test_preferences_of_a_solved_batch_clear_its_proposal(login, planner, solved, sessions):
    client = login(planner)
    line = _lines(solved)[0]
    url = reverse("placement_line_preferences", args=["hope", solved.pk, line.pk])
    assert "efface la proposition" in html_of(client.get(url))
    response = client.post(url, {"needs_childcare": "on"}, follow=True)
    assert any("calculez-la de nouveau" in m for m in messages_of(response))
    solved.refresh_from_db()
    assert solved.status == BatchStatus.DRAFT


# --- override and validation ----------------------------------------------------------------------


def test_override_flow_keeps_the_reason(login, planner, solved, sessions):
    client = login(planner)
    line = _lines(solved)[0]
    other = next(s for s in sessions if s.pk != line.final_session_id)
    url = reverse("placement_line_override", args=["hope", solved.pk, line.pk])
    html = html_of(client.get(url))
    assert "Proposition actuelle" in html and "Ne pas placer cette personne" in html and other.label in html
    response = client.post(url, {"session": str(other.pk), "reason": "Souhaite rester près de sa famille."})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.final_session_id == other.pk and line.override_reason == "Souhaite rester près de sa famille."
    html = html_of(client.get(reverse("placement_batch", args=["hope", solved.pk])))
    assert "Modifiée" in html and "Souhaite rester près de sa famille." in html


def test_override_bad_input_shows_french_errors_and_changes_nothing(login, planner, solved, sessions):
    client = login(planner)
    line = _lines(solved)[0]
    before = line.final_session_id
    url = reverse("placement_line_override", args=["hope", solved.pk, line.pk])
    html = html_of(client.post(url, {"session": str(sessions[1].pk), "reason": "   "}))
    assert "Donnez le motif de la modification." in html
    html = html_of(client.post(url, {"session": "424242", "reason": "Motif"}))
    assert "Choisissez une session de l&#x27;affectation." in html
    html = html_of(client.post(url, {"session": "", "reason": "Motif"}))
    assert "Choisissez une session, ou" in html
    # A session the person refused: the service names the constraint.
    line.refused_sessions = [sessions[1].pk]
    line.save()
    html = html_of(client.post(url, {"session": str(sessions[1].pk), "reason": "Motif"}))
    assert "n&#x27;est pas possible pour" in html and "session refusée par la personne" in html
    line.refresh_from_db()
    assert line.final_session_id == before and line.override_reason == ""


def test_override_is_only_for_a_solved_batch(login, planner, batch):
    line = _lines(batch)[0]
    response = login(planner).get(reverse("placement_line_override", args=["hope", batch.pk, line.pk]), follow=True)
    assert any("Seule une affectation calculée" in m for m in messages_of(response))


def test_solve_then_validate_enrols_the_people(login, planner, batch, sessions):
    client = login(planner)
    response = client.post(reverse("placement_batch_solve", args=["hope", batch.pk]))
    assert response.url.endswith("#resultat")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SOLVED
    response = client.post(reverse("placement_batch_validate", args=["hope", batch.pk]), follow=True)
    assert any("est validée" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED
    lines = _lines(batch)
    states = dict(Enrolment.objects.filter(pk__in=[ln.candidacy_id for ln in lines]).values_list("pk", "state"))
    assert set(states.values()) == {EnrolmentState.ENROLLED}
    html = html_of(response)
    assert "Validée" in html and "Valider l'affectation" not in html and "Modifier les préférences" not in html


def test_validate_before_solving_is_refused_and_changes_nothing(login, planner, batch):
    response = login(planner).post(reverse("placement_batch_validate", args=["hope", batch.pk]), follow=True)
    assert any("Calculez d'abord l'affectation" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert not Enrolment.objects.filter(state=EnrolmentState.ENROLLED).exists()


def test_cancel_then_nothing_more(login, planner, batch):
    client = login(planner)
    client.post(reverse("placement_batch_cancel", args=["hope", batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    response = client.post(reverse("placement_batch_solve", args=["hope", batch.pk]), follow=True)
    assert any("ne peut plus être modifiée" in m for m in messages_of(response))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED


def test_override_can_leave_a_person_unplaced(login, planner, solved):
    line = _lines(solved)[0]
    url = reverse("placement_line_override", args=["hope", solved.pk, line.pk])
    login(planner).post(url, {"session": "aucune", "reason": "A trouvé un emploi entre-temps."})
    line.refresh_from_db()
    assert line.final_session_id is None and line.override_reason == "A trouvé un emploi entre-temps."
