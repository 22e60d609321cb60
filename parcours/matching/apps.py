from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "parcours.matching"
    label = "matching"
