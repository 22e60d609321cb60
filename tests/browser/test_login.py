from tests.factories import PASSWORD, MembershipFactory


def test_login_page_is_accessible_and_refuses_bad_password(page, axe_check, db):
    membership = MembershipFactory()
    page.goto("/connexion/")
    axe_check(page, "login")
    page.get_by_label("Nom d’utilisateur").fill(membership.user.username)
    page.get_by_label("Mot de passe").fill(PASSWORD + "x")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_text("Identifiant ou mot de passe incorrect").is_visible()
    axe_check(page, "login-error")
