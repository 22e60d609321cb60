#!/usr/bin/env bash
# Smoke test of the demo on a throw-away SQLite file: migrate, load the reference data and a small
# demo territory, verify the audit chain, serve, then log in as a demo conseillère and fetch her
# caseload and one of her pathways. Exits non-zero with a clear message at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "ÉCHEC smoke : $PY introuvable (lancez « make install »)." >&2; exit 1; }

mkdir -p var
TAG="smoke-$$"
DB="$ROOT/var/$TAG.sqlite3"
JAR="$ROOT/var/$TAG.cookies"
LOG="$ROOT/var/$TAG.server.log"
PAGE="$ROOT/var/$TAG.page.html"
export DJANGO_SETTINGS_MODULE=config.settings.dev
export DATABASE_URL="sqlite:///$DB"
LOGIN="sophie.martin"
PASSWORD="$("$PY" -c 'from parcours.demo.territory import DEMO_PASSWORD; print(DEMO_PASSWORD)')"
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -f "$DB" "$DB-journal" "$DB-wal" "$DB-shm" "$JAR" "$LOG" "$PAGE" "$ROOT/var/$TAG.pilote.cookies" "$ROOT/var/$TAG.planner.cookies"
}
trap cleanup EXIT

fail() {
  echo "ÉCHEC smoke : $*" >&2
  if [ -s "$LOG" ]; then
    echo "--- dernières lignes du journal du serveur ---" >&2
    tail -n 30 "$LOG" >&2
  fi
  exit 1
}

step() { echo "smoke : $*"; }

step "base SQLite jetable $DB"
"$PY" manage.py migrate --noinput -v 0 || fail "migrate a échoué"
"$PY" manage.py load_reference >/dev/null || fail "load_reference a échoué"
"$PY" manage.py demo_load --persons 50 --seed 44 >/dev/null || fail "demo_load --persons 50 a échoué"
"$PY" manage.py audit_verify || fail "la chaîne d'audit ne se vérifie pas après le chargement de la démo"
"$PY" manage.py demo_logins | grep -q "$LOGIN" || fail "demo_logins ne liste pas $LOGIN"

# A free port: 8765 when available, else one the system picks.
PORT="$("$PY" - <<'EOF'
import socket
for port in (8765, 0):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(s.getsockname()[1])
    s.close()
    break
EOF
)"
BASE="http://127.0.0.1:$PORT"
step "serveur sur $BASE"
"$PY" manage.py runserver --noreload "127.0.0.1:$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if curl -s -o /dev/null "$BASE/healthz"; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || fail "le serveur s'est arrêté au démarrage"
  sleep 0.5
done

# fetch URL EXPECTED_STATUS: body in $PAGE, fails on another status.
fetch() {
  local status
  status="$(curl -s -o "$PAGE" -w '%{http_code}' -b "$JAR" -c "$JAR" "$BASE$1")" || fail "GET $1 : pas de réponse"
  [ "$status" = "$2" ] || fail "GET $1 : statut HTTP $status (attendu $2)"
}
expect() { grep -qF -- "$1" "$PAGE" || fail "$2 : « $1 » absent de la page"; }

fetch /healthz 200
[ "$(cat "$PAGE")" = "ok" ] || fail "/healthz ne répond pas « ok »"

step "connexion de $LOGIN"
fetch /connexion/ 200
CSRF="$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$PAGE" | head -n 1)"
[ -n "$CSRF" ] || fail "jeton CSRF introuvable sur la page de connexion"
STATUS="$(curl -s -o "$PAGE" -w '%{http_code}' -b "$JAR" -c "$JAR" -e "$BASE/connexion/" \
  --data-urlencode "csrfmiddlewaretoken=$CSRF" --data-urlencode "username=$LOGIN" \
  --data-urlencode "password=$PASSWORD" "$BASE/connexion/")" || fail "POST /connexion/ : pas de réponse"
[ "$STATUS" = "302" ] || fail "la connexion de $LOGIN a échoué (statut $STATUS au lieu d'une redirection)"

step "portefeuille /accompagnements/"
fetch /accompagnements/ 200
expect "Mes accompagnements" "portefeuille"
expect "France Travail Nantes Nord" "portefeuille"
PATHWAY="$(grep -o 'href="/parcours/[0-9]*/"' "$PAGE" | head -n 1 | grep -o '[0-9]\+')" \
  || fail "aucun parcours dans le portefeuille de $LOGIN"

step "parcours /parcours/$PATHWAY/"
fetch "/parcours/$PATHWAY/" 200
expect "Référent·e unique" "page du parcours"
expect "Qui a consulté ce dossier" "page du parcours"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur la page du parcours"

fetch /parcours/999999999/ 404

# Referrals and breaks on SQLite: the deadline sweep and the break scan use portable SQL.
step "prescriptions et ruptures : balayage des délais, scan des ruptures (deux fois), pages"
"$PY" manage.py referrals_sweep >/dev/null || fail "referrals_sweep a échoué sur SQLite"
"$PY" manage.py breaks_scan >/dev/null || fail "breaks_scan a échoué sur SQLite"
"$PY" manage.py breaks_scan | grep -q "^0 alerte(s) ouverte(s)" || fail "un second breaks_scan ne devrait rien ouvrir"
fetch /alertes/ 200
expect "Alertes à traiter" "alertes à traiter"
fetch /prescriptions/envoyees/ 200
fetch /prescriptions/recues/ 200
fetch "/prescriptions/parcours/$PATHWAY/" 200
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur les prescriptions du parcours"

# The offer of services on SQLite: the same code as on PostgreSQL, nothing PostgreSQL-only.
step "offre : recherche préremplie depuis le parcours, par code postal, par nom, fiche, export"
fetch "/offre/?parcours=$PATHWAY" 200
expect "Recherche préremplie depuis le parcours" "recherche depuis un parcours"
fetch "/offre/?commune=44400&distance_km=15&thematiques=lecture-ecriture-calcul" 200
expect "services trouvés" "recherche par code postal"
fetch "/offre/?commune=Rez%C3%A9%20(44400)&distance_km=15" 200
expect "services trouvés" "recherche par nom et code postal"
SERVICE="$(grep -o 'href="/offre/services/[0-9]*/' "$PAGE" | head -n 1 | grep -o '[0-9]\+')" \
  || fail "aucun service trouvé autour de Rezé"
fetch "/offre/services/$SERVICE/" 200
expect "Mobiliser le service" "fiche d'un service"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur la fiche d'un service"
fetch "/offre/imports/export.json?kind=services&departement=44" 200
expect '"structure_id"' "export JSON de l'offre"
"$PY" manage.py directory_export --kind structures --format csv >/dev/null || fail "directory_export a échoué"

step "API partenaires : jeton, services autour d'un code postal, OpenAPI"
ORG_ID="$("$PY" manage.py shell -c 'from parcours.organisations.models import Organisation; print(Organisation.objects.order_by("pk").first().pk)' 2>/dev/null | tail -n 1)"
TOKEN="$("$PY" manage.py api_token_create --organisation "$ORG_ID" --label smoke | grep -o '[A-Za-z0-9_-]\{40,\}' | head -n 1)" \
  || fail "api_token_create n'a pas donné de jeton"
STATUS="$(curl -s -o "$PAGE" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/services?code_postal=44400&distance_km=15&size=5")"
[ "$STATUS" = 200 ] || fail "GET /api/v1/services : statut $STATUS au lieu de 200"
expect '"next_cursor"' "API des services"
STATUS="$(curl -s -o "$PAGE" -w '%{http_code}' "$BASE/api/v1/openapi.json")"
[ "$STATUS" = 200 ] || fail "GET /api/v1/openapi.json : statut $STATUS au lieu de 200"

# Programmes on SQLite: catalogue, eligibility from a pathway, surveys task; indicators for a pilote.
step "programmes : catalogue, éligibilité depuis le parcours, enquêtes de suivi, indicateurs (pilote)"
"$PY" manage.py surveys_notify >/dev/null || fail "surveys_notify a échoué sur SQLite"
fetch /programmes/ 200
expect "hope-44" "catalogue des programmes"
fetch /programmes/hope-44/ 200
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur la page d'un programme"
fetch "/parcours/$PATHWAY/programmes/" 200
expect "Programmes ouverts et éligibilité" "onglet Programmes du parcours"
fetch "/parcours/$PATHWAY/programmes/hope-44/eligibilite/" 200
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur la vérification d'éligibilité"
fetch /programmes/hope-44/indicateurs/ 403
PILOTE_JAR="$ROOT/var/$TAG.pilote.cookies"
JAR_MAIN="$JAR"
JAR="$PILOTE_JAR"
fetch /connexion/ 200
CSRF="$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$PAGE" | head -n 1)"
STATUS="$(curl -s -o "$PAGE" -w '%{http_code}' -b "$JAR" -c "$JAR" -e "$BASE/connexion/" \
  --data-urlencode "csrfmiddlewaretoken=$CSRF" --data-urlencode "username=francois.gauthier" \
  --data-urlencode "password=$PASSWORD" "$BASE/connexion/")" || fail "POST /connexion/ (pilote) : pas de réponse"
[ "$STATUS" = "302" ] || fail "la connexion du pilote a échoué (statut $STATUS)"
fetch /programmes/hope-44/indicateurs/ 200
expect "<svg" "graphiques des indicateurs"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur les indicateurs"
fetch /programmes/hope-44/indicateurs-publication.csv 200
fetch /appels-a-projets/ 200
JAR="$JAR_MAIN"

# Jobs and recommendations on SQLite: the Pistes tab of the demo persona (the first person generated,
# a refugee followed by $LOGIN), the appellation search, a job sheet; the usage page for the pilote.
step "pistes : onglet Pistes de la personne de démonstration, recherche de métiers, fiche J1501, usage (pilote)"
PERSONA="$("$PY" manage.py shell -c 'from parcours.pathways.models import Pathway; print(Pathway.objects.filter(person__isnull=False).order_by("person_id").values_list("id", flat=True).first())' 2>/dev/null | tail -n 1)"
[ -n "$PERSONA" ] || fail "parcours de la personne de démonstration introuvable"
fetch "/parcours/$PERSONA/pistes/" 200
expect "Pistes pour la personne" "onglet Pistes"
expect "Aide-soignant / Aide-soignante" "onglet Pistes (métier souhaité)"
expect "Accompagnement vers le logement des personnes réfugiées" "onglet Pistes (service de logement)"
expect "Orienter vers ce service" "onglet Pistes (orientation)"
expect "HOPE" "onglet Pistes (programme)"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur l'onglet Pistes"
fetch "/metiers/?q=aide+soignant" 200
expect "Aide-soignant" "recherche de métiers"
fetch /metiers/J1501/ 200
expect "Aide-soignant" "fiche métier J1501"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur la fiche métier"
fetch /pistes/usage/ 403
JAR="$PILOTE_JAR"
fetch /pistes/usage/ 200
expect "Usage des pistes" "usage des pistes (pilote)"
expect "<svg" "graphique de l'usage des pistes"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur l'usage des pistes"
fetch /programmes/hope-44/affectations/ 403
JAR="$JAR_MAIN"
rm -f "$PILOTE_JAR"

# Placement on SQLite: online prices command, then a member of the HOPE placement committee (AFPA)
# creates a batch and solves it (the demo's outcome model is trained at load).
step "affectations : prix en ligne, nouvelle affectation HOPE et calcul par le comité de placement (AFPA)"
"$PY" manage.py placement_prices hope-44 >/dev/null || fail "placement_prices a échoué sur SQLite"
PLANNER_JAR="$ROOT/var/$TAG.planner.cookies"
JAR="$PLANNER_JAR"
fetch /connexion/ 200
CSRF="$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$PAGE" | head -n 1)"
STATUS="$(curl -s -o "$PAGE" -w '%{http_code}' -b "$JAR" -c "$JAR" -e "$BASE/connexion/" \
  --data-urlencode "csrfmiddlewaretoken=$CSRF" --data-urlencode "username=david.lemaire" \
  --data-urlencode "password=$PASSWORD" "$BASE/connexion/")" || fail "POST /connexion/ (AFPA) : pas de réponse"
[ "$STATUS" = "302" ] || fail "la connexion de david.lemaire a échoué (statut $STATUS)"
fetch /programmes/hope-44/affectations/ 200
expect "Modèle entraîné le" "modèle de réussite entraîné au chargement de la démo"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur les affectations"
# post URL REFERER: a form POST with the page's CSRF token; prints the redirect target.
post() {
  local token
  token="$(sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$PAGE" | head -n 1)"
  curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -b "$JAR" -c "$JAR" -e "$BASE$2" \
    --data-urlencode "csrfmiddlewaretoken=$token" "$BASE$1"
}
read -r STATUS TARGET <<<"$(post /programmes/hope-44/affectations/nouvelle/ /programmes/hope-44/affectations/)"
[ "$STATUS" = "302" ] || fail "nouvelle affectation : statut $STATUS au lieu d'une redirection"
BATCH_PATH="${TARGET#"$BASE"}"
BATCH_PATH="${BATCH_PATH%%#*}"
fetch "$BATCH_PATH" 200
expect "Calculer l'affectation" "affectation en préparation"
read -r STATUS TARGET <<<"$(post "${BATCH_PATH}calculer/" "$BATCH_PATH")"
[ "$STATUS" = "302" ] || fail "calcul de l'affectation : statut $STATUS au lieu d'une redirection"
fetch "$BATCH_PATH" 200
expect "Optimum prouvé" "affectation calculée"
expect "réussite prédite" "explications de l'affectation"
expect "Premier arrivé" "rapport d'équité"
grep -q "!!INVALID" "$PAGE" && fail "variable de gabarit inconnue sur une affectation"
JAR="$JAR_MAIN"
rm -f "$PLANNER_JAR"

"$PY" manage.py audit_verify >/dev/null || fail "la chaîne d'audit ne se vérifie plus après les lectures"
echo "smoke : OK (démo chargée, servie, connexion, portefeuille, parcours, offre de services, API, programmes et indicateurs, pistes et métiers consultés, affectation calculée)"
