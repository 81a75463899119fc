"""The governance pages (URLs others link to are fixed by the design: /definitions/,
/definitions/<key>/, /definitions/new/, /reviews/, /reviews/<id>/, /committees/<id>/agenda/,
/conflicts/)."""

from django.urls import path

from governance import views

urlpatterns = [
    path("definitions/", views.definitions, name="definitions-page"),
    path("definitions/new/", views.definition_new, name="definition-new"),
    path("definitions/field-search/", views.field_search, name="definition-field-search"),
    path("definitions/check/", views.proposal_check, name="proposal-check"),
    path("definitions/<str:key>/", views.definition_detail, name="definition-page"),
    path("definitions/<str:key>/edit/", views.definition_edit, name="definition-edit"),
    path("definitions/<str:key>/compare/", views.definition_compare, name="definition-compare"),
    path(
        "definitions/<str:key>/recertify/", views.definition_recertify, name="definition-recertify"
    ),
    path(
        "definitions/<str:key>/do/<str:action>/",
        views.definition_action,
        name="definition-action",
    ),
    path("reviews/", views.review_queue, name="reviews-page"),
    path("reviews/<int:pk>/", views.review_detail, name="review-page"),
    path("reviews/<int:pk>/vote/", views.review_vote, name="review-vote-page"),
    path("committees/<int:pk>/agenda/", views.agenda, name="agenda-page"),
    path("committees/<int:pk>/agenda.md", views.agenda_markdown, name="agenda-markdown"),
    path("committees/<int:pk>/meetings/", views.meeting_new, name="meeting-new"),
    path("committees/<int:pk>/meetings/<int:meeting_pk>/", views.minutes, name="minutes-page"),
    path("conflicts/", views.conflicts, name="conflicts-page"),
    path("conflicts/resolve/", views.conflict_resolve, name="conflict-resolve-page"),
]
