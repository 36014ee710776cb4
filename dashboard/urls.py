from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from dashboard.admin import team_admin
from dashboard.models.runs import BROADCAST, TRIGGER
from dashboard.views import (
    account,
    actions,
    audit,
    catalogue,
    conversation_message,
    conversations,
    health,
    home,
    queue,
    runs,
    team,
    users,
)

app_urls = (
    [
        path("", home.home, name="home"),
        path("users/", users.users_list, name="users_list"),
        path("users/selection/", users.users_select, name="users_select"),
        path("users/export.csv", users.users_export, name="users_export"),
        path("users/assign/", queue.users_assign, name="users_assign"),
        path("users/<path:user_id>/queue/", queue.queue_update, name="queue_update"),
        path("users/<path:user_id>/notes/", queue.queue_note_create, name="queue_note_create"),
        path("users/<path:user_id>/rating-note/", queue.rating_note_view, name="rating_note"),
        path("users/<path:user_id>/conversation/", conversations.conversation, name="conversation"),
        path(
            "users/<path:user_id>/conversation/rating/",
            conversations.conversation_rating,
            name="conversation_rating",
        ),
        path(
            "users/<path:user_id>/conversation/message/",
            conversation_message.conversation_message,
            name="conversation_message",
        ),
        path(
            "users/<path:user_id>/conversation/export/",
            conversations.conversation_export,
            name="conversation_export",
        ),
        path("broadcasts/", runs.runs_list, {"kind": BROADCAST}, name="broadcasts_list"),
        path("broadcasts/new/", runs.run_new, {"kind": BROADCAST}, name="broadcast_new"),
        path("broadcasts/drafts/", runs.run_create, {"kind": BROADCAST}, name="broadcast_create"),
        path("flow-runs/", runs.runs_list, {"kind": TRIGGER}, name="triggers_list"),
        path("flow-runs/new/", runs.run_new, {"kind": TRIGGER}, name="trigger_new"),
        path("flow-runs/drafts/", runs.run_create, {"kind": TRIGGER}, name="trigger_create"),
        path("runs/<int:pk>/", runs.run_detail, name="run_detail"),
        path("runs/<int:pk>/choose/", runs.run_choose, name="run_choose"),
        path("runs/<int:pk>/values/", runs.run_values, name="run_values"),
        path("runs/<int:pk>/confirm/", runs.run_confirm, name="run_confirm"),
        path("runs/<int:pk>/control/", runs.run_control, name="run_control"),
        path("runs/<int:pk>/recipients.csv", runs.run_export, name="run_export"),
        path("catalogue/", catalogue.catalogue, name="catalogue"),
        path("catalogue/templates/new/", catalogue.template_create, name="template_create"),
        path("catalogue/templates/<int:pk>/", catalogue.template_edit, name="template_edit"),
        path(
            "catalogue/templates/<int:pk>/active/",
            catalogue.template_toggle,
            name="template_toggle",
        ),
        path("catalogue/flows/new/", catalogue.flow_create, name="flow_create"),
        path("catalogue/flows/<int:pk>/", catalogue.flow_edit, name="flow_edit"),
        path("catalogue/flows/<int:pk>/active/", catalogue.flow_toggle, name="flow_toggle"),
        path("audit/", audit.audit_list, name="audit_list"),
        path("audit/verify/", audit.audit_verify_now, name="audit_verify"),
        path("audit/integrity/", audit.audit_integrity_panel, name="audit_integrity"),
        path("audit/<int:call_id>/", audit.audit_detail, name="audit_detail"),
        path("audit/calls/<uuid:call_id>/", audit.audit_by_call_id, name="audit_call"),
        path("audit/export.csv", audit.audit_export, name="audit_export"),
        path("audit/actions/", actions.actions_list, name="actions_list"),
        path("audit/actions/<int:pk>/", actions.action_detail, name="action_detail"),
        path("audit/actions/export.csv", actions.actions_export, name="actions_export"),
        path("team/", team.team_list, name="team_list"),
        path("team/new/", team.team_create, name="team_create"),
        path("team/<int:pk>/", team.team_edit, name="team_edit"),
        path("team/<int:pk>/active/", team.team_active, name="team_active"),
        path("team/<int:pk>/password/", team.team_password, name="team_password"),
    ],
    "dashboard",
)

urlpatterns = [
    path("", include(app_urls)),
    path("healthz", health.healthz, name="healthz"),
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/settings/", account.account_settings, name="account_settings"),
    path(
        "accounts/password/",
        account.PasswordChange.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("team/admin/", team_admin.urls),
]
