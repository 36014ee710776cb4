from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from dashboard.admin import team_admin
from dashboard.views import health, home, placeholders, team

app_urls = (
    [
        path("", home.home, name="home"),
        path("users/", placeholders.users_list, name="users_list"),
        path("broadcasts/", placeholders.broadcasts_list, name="broadcasts_list"),
        path("audit/", placeholders.audit_list, name="audit_list"),
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
