from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "parcours.territories"
    label = "territories"
