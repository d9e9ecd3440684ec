"""Dashboard routes (contract in DESIGN.md)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
]
