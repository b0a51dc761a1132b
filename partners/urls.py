from django.urls import path

from . import survey_views, views
from .referrals import views as referrals

app_name = "partners"
urlpatterns = [
    path("", views.partner_list, name="list"),
    path("new/", views.partner_new, name="new"),
    path("<int:partner_id>/edit/", views.partner_edit, name="edit"),
    path("places/", views.place_list, name="places"),
    path("places/<int:place_id>/", views.place_detail, name="place"),
    path("places/<int:place_id>/staffing/", views.place_staffing, name="staffing"),
    path("places/<int:place_id>/opening/new/", views.opening_new, name="opening_new"),
    path("places/<int:place_id>/costs/", views.cost_set, name="cost_set"),
    path("places/<int:place_id>/token/", views.token_new, name="token_new"),
    path("places/<int:place_id>/tally/", views.tally, name="tally"),
    path("report/", views.report, name="report"),
    path("report.csv", views.report_csv, name="report_csv"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/new/", survey_views.survey_new, name="survey_new"),
    path("surveys/<int:survey_id>/", survey_views.survey_detail, name="survey"),
    path(
        "surveys/<int:survey_id>/questions/new/",
        survey_views.question_new,
        name="survey_question_new",
    ),
    path(
        "surveys/<int:survey_id>/questions/<int:question_id>/remove/",
        survey_views.question_remove,
        name="survey_question_remove",
    ),
    path("surveys/<int:survey_id>/status/", survey_views.survey_status, name="survey_status"),
    path("surveys/<int:survey_id>/codes/", survey_views.survey_codes, name="survey_codes"),
    path("surveys/<int:survey_id>/paper/", survey_views.survey_paper, name="survey_paper"),
    path("surveys/<int:survey_id>/results/", survey_views.results, name="survey_results"),
    path("cases/<int:case_id>/referrals/new/", referrals.referral_new, name="referral_new"),
    path("referrals/<int:referral_id>/", referrals.referral_detail, name="referral"),
]
