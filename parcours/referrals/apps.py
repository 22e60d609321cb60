from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "parcours.referrals"
    verbose_name = "Prescriptions"
