from django.apps import AppConfig


class TechnowizConfig(AppConfig):
    name = "technowiz"
    verbose_name = "Technowiz platform"
