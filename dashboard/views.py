"""Dashboard views: validate filters, call selectors, render or export."""

from django.shortcuts import render

from ingest.models import Repository


def overview(request):
    repositories = Repository.objects.filter(tracked=True).order_by("full_name")
    return render(request, "dashboard/overview.html", {"repositories": repositories})
