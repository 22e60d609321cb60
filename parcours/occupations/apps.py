from django.apps import AppConfig


class OccupationsConfig(AppConfig):
    name = "parcours.occupations"
    label = "occupations"
