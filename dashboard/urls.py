from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from dashboard.admin import team_admin
from dashboard.views import (
    account,
    audit,
    catalogue,
    conversations,
    health,
    home,
    placeholders,
    team,
    users,
)

app_urls = (
    [
        path("", home.home, name="home"),
        path("users/", users.users_list, name="users_list"),
        path("users/selection/", users.users_select, name="users_select"),
        path("users/export.csv", users.users_export, name="users_export"),
        path("users/<str:user_id>/conversation/", conversations.conversation, name="conversation"),
        path(
            "users/<str:user_id>/conversation/rating/",
            conversations.conversation_rating,
            name="conversation_rating",
        ),
        path(
            "users/<str:user_id>/conversation/export/",
            conversations.conversation_export,
            name="conversation_export",
        ),
        path("broadcasts/", placeholders.broadcasts_list, name="broadcasts_list"),
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
        path("audit/export.csv", audit.audit_export, name="audit_export"),
        path("team/", team.team_list, name="team_list"),
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
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("team/admin/", team_admin.urls),
]
