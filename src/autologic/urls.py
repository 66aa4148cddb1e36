"""Top-level URLs. Every name here must appear in accounts.roles.ACCESS, or it is refused."""

from django.urls import include, path

from autologic.accounts.views import set_language
from autologic.api import api
from autologic.common.views import favicon, health
from autologic.operations.metrics import metrics
from autologic.operations.views import ready

urlpatterns = [
    path("health", health, name="health"),
    path("ready", ready, name="ready"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("autologic.accounts.urls")),
    path("audit/", include("autologic.audit.urls")),
    path("patients/", include("autologic.patients.urls")),
    path("clinical/", include("autologic.clinical.urls")),
    path("care/", include("autologic.care.urls")),
    path("lab/", include("autologic.lab.urls")),
    path("injections/", include("autologic.injections.urls")),
    path("outcomes/", include("autologic.outcomes.urls")),
    path("adverse-events/", include("autologic.adverse_events.urls")),
    path("recalls/", include("autologic.recalls.urls")),
    path("protocols/", include("autologic.protocols.urls")),
    path("billing/", include("autologic.billing.urls")),
    path("registry/", include("autologic.analytics.urls")),
    path("outbox/", include("autologic.outbox.urls")),
    path("api/v1/", api.urls),
    path("fhir/", include("autologic.interop.urls")),
    path("records/", include("autologic.interop.record_urls")),
    path("", include("autologic.portal.urls")),
    path("", include("autologic.dashboard.urls")),
]

handler403 = "autologic.common.views.error_403"
handler404 = "autologic.common.views.error_404"
handler500 = "autologic.common.views.error_500"
