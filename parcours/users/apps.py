from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "parcours.users"
    label = "users"
    verbose_name = "Comptes"
