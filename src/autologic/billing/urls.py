from django.urls import path

from autologic.billing import views

app_name = "billing"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", views.reports, name="reports"),
    path("settings/", views.settings_page, name="settings"),
    path("price-lists/<int:price_list_id>/", views.price_list, name="price_list"),
    path("price-lists/seed/", views.seed_price_list, name="seed_price_list"),
    path("courses/<int:course_id>/", views.course, name="course"),
    path("courses/<int:course_id>/estimate/", views.offer_estimate, name="offer_estimate"),
    path("estimates/<int:estimate_id>/accept/", views.accept_estimate, name="accept_estimate"),
    path("estimates/<int:estimate_id>/send/", views.send_estimate, name="send_estimate"),
    path("estimates/<int:estimate_id>/pdf/", views.estimate_pdf, name="estimate_pdf"),
    path("estimates/<int:estimate_id>/scan/", views.estimate_scan, name="estimate_scan"),
    path("courses/<int:course_id>/invoice/", views.issue_invoice, name="issue_invoice"),
    path("courses/<int:course_id>/payment/", views.record_payment, name="record_payment"),
    path("courses/<int:course_id>/refund/", views.record_refund, name="record_refund"),
    path("courses/<int:course_id>/coverage/", views.add_coverage, name="add_coverage"),
    path("courses/<int:course_id>/claims/", views.open_claim, name="open_claim"),
    path("claims/<int:claim_id>/step/", views.claim_step, name="claim_step"),
    path("claims/<int:claim_id>/pack/", views.claim_pack, name="claim_pack"),
    path("payments/<int:payment_id>/receipt/", views.receipt, name="receipt"),
    path("invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:invoice_id>/credit-note/", views.credit_note, name="credit_note"),
    path("verifactu.xml", views.verifactu_export, name="verifactu_export"),
]
