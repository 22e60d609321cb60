from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "parcours.organisations"
    label = "organisations"
