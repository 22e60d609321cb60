from django.apps import AppConfig


class DiagnosticsConfig(AppConfig):
    name = "parcours.diagnostics"
    label = "diagnostics"
