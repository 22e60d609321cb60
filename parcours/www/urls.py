from django.contrib.auth import views as auth_views
from django.urls import include, path

from .accounts import views as accounts_views

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("healthz", accounts_views.healthz, name="healthz"),
    path("connexion/", accounts_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisation/", accounts_views.switch_organisation, name="switch_organisation"),
    path("", include("parcours.www.caseload.urls")),
    path("", include("parcours.www.people.urls")),
    path("offre/", include("parcours.www.directory.urls")),
    path("offre/mes-services/", include("parcours.www.offer.urls")),
    path("offre/imports/", include("parcours.www.offer_import.urls")),
    path("prescriptions/", include("parcours.www.referrals.urls")),
    path("alertes/", include("parcours.www.alerts.urls")),
    path("orientation/", include("parcours.www.orientation.urls")),
    path("", include("parcours.www.eligibility.urls")),
    path("", include("parcours.www.enrolments.urls")),
    path("", include("parcours.www.vae.urls")),
    path("", include("parcours.www.indicators.urls")),
    path("", include("parcours.www.calls.urls")),
    path("", include("parcours.www.programmes.urls")),
    path("", include("parcours.www.occupations.urls")),
    path("", include("parcours.www.recommendations.urls")),
    path("", include("parcours.www.placement.urls")),
    path("parcours/<int:pathway_id>/", include("parcours.www.pathways.urls")),
    path("parcours/<int:pathway_id>/", include("parcours.www.diagnostics.urls")),
    path("parcours/<int:pathway_id>/", include("parcours.www.plans.urls")),
]
