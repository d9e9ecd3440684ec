"""Dashboard routes (contract in DESIGN.md)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("activity/", views.activity, name="activity"),
    path("newcomers/", views.newcomers, name="newcomers"),
    path("committers/", views.committers, name="committers"),
    path("committers/nomination/", views.nomination, name="nomination"),
    path("digest/", views.digest, name="digest"),
    path("projects/<str:owner>/<str:name>/", views.project, name="project"),
    path("people/<str:login>/", views.person, name="person"),
    path("ingest/", views.ingest_status, name="ingest"),
    path("ingest/sync/", views.ingest_sync, name="ingest-sync"),
    path("ingest/progress.json", views.ingest_progress, name="ingest-progress"),
    path("risks/", views.risks, name="risks"),
    path("docs/metrics/", views.metrics_docs, name="metrics-docs"),
    path("badges/<str:owner>/<str:name>.svg", views.badge, name="badge"),
]
