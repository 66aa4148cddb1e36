from django.urls import path

from autologic.lab import views

app_name = "lab"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("courses/<int:course_id>/collect/", views.collect, name="collect"),
    path("lots/<int:collection_id>/", views.lot, name="lot"),
    path("lots/<int:collection_id>/start/", views.run_start, name="run_start"),
    path("lots/<int:collection_id>/step/", views.step, name="step"),
    path("lots/<int:collection_id>/divide/", views.divide, name="divide"),
    path("lots/<int:collection_id>/labels/", views.print_labels, name="print_labels"),
    path("lots/<int:collection_id>/labels/<str:job>.pdf", views.labels_pdf, name="labels_pdf"),
    path(
        "lots/<int:collection_id>/labels/<int:label_id>/state/",
        views.label_state,
        name="label_state",
    ),
    path("lots/<int:collection_id>/results/", views.result, name="result"),
    path(
        "lots/<int:collection_id>/results/<int:result_id>/disposition/",
        views.result_disposition,
        name="result_disposition",
    ),
    path("lots/<int:collection_id>/release/", views.release, name="release"),
    path(
        "lots/<int:collection_id>/release-with-exception/",
        views.release_with_exception,
        name="release_with_exception",
    ),
    path(
        "lots/<int:collection_id>/deviations/<int:deviation_id>/",
        views.deviation,
        name="deviation",
    ),
    path("lots/<int:collection_id>/store/", views.check_in, name="check_in"),
    path("lots/<int:collection_id>/reagents/", views.reagent_use, name="reagent_use"),
    path("units/<int:unit_id>/", views.unit, name="unit"),
    path("units/<int:unit_id>/discard/", views.unit_discard, name="unit_discard"),
    path("units/<int:unit_id>/requalify/", views.unit_requalify, name="unit_requalify"),
    path("storage/", views.storage_overview, name="storage"),
    path("storage/boxes/<int:box_id>/", views.box, name="box"),
    path("storage/boxes/<int:box_id>/keep/", views.box_infectious, name="box_infectious"),
    path("storage/freezers/<int:freezer_id>/readings/", views.readings, name="readings"),
    path("storage/excursions/<int:excursion_id>/ack/", views.excursion_ack, name="excursion_ack"),
]
