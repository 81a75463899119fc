from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The retail demo: a leaf app that loads data through every other app's services."""

    name = "demo"
    verbose_name = "Retail demo"
