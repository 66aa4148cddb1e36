"""The application's URLs and the benchmark's floor view (bench/load.py only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from autologic.accounts.roles import ACCESS, ALL_STAFF
from autologic.urls import urlpatterns as application

ACCESS["bench_floor"] = ALL_STAFF  # signed in with a second factor, any role


def floor(request: HttpRequest) -> HttpResponse:
    """The least a signed-in page can do: the middleware, then a few bytes."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *application]
