"""Sign-in pages and the workspace, under the language prefix (/en/accounts/login/ …).

The names are Django's own (`login`, `password_reset_confirm` …) because its views and
e-mails reverse them.
"""

from django.contrib.auth import views as auth_views
from django.urls import path

from stakeholders import forms, profile_views, security_views, views

urlpatterns = [
    # Password, then (for a user with a confirmed device) the code: stakeholders.two_factor.
    path("accounts/login/", profile_views.LoginView.as_view(), name="login"),
    path("accounts/login/code/", profile_views.login_code, name="login_code"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="stakeholders/password_reset_form.html",
            form_class=forms.PasswordResetEmailForm,
            email_template_name="stakeholders/password_reset_email.txt",
            subject_template_name="stakeholders/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="stakeholders/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="stakeholders/password_reset_confirm.html", form_class=forms.NewPasswordForm
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="stakeholders/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/organisation/", views.switch_organisation, name="switch_organisation"),
    # --- Members and invitations ---
    path("workspace/organisations/", views.organisation_list, name="organisation_list"),
    path("workspace/organisations/<slug:slug>/members/", views.organisation_members, name="organisation_members"),
    path("workspace/organisations/<slug:slug>/members/role/", views.member_role, name="member_role"),
    path("workspace/organisations/<slug:slug>/members/deactivate/", views.member_deactivate, name="member_deactivate"),
    path("workspace/organisations/<slug:slug>/invitations/new/", views.invitation_new, name="invitation_new"),
    path("workspace/organisations/<slug:slug>/invitations/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("accounts/invitation/<str:secret>/", views.invitation_accept, name="invitation_accept"),
    # --- Profile: API tokens, two-factor authentication ---
    path("accounts/profile/", profile_views.profile, name="profile"),
    path("accounts/profile/tokens/", profile_views.api_token_new, name="api_token_new"),
    path("accounts/profile/tokens/<int:token_id>/revoke/", profile_views.api_token_delete, name="api_token_revoke"),
    path("accounts/profile/two-factor/enrol/", profile_views.two_factor_enrol, name="two_factor_enrol"),
    path("accounts/profile/two-factor/confirm/", profile_views.two_factor_confirm, name="two_factor_confirm"),
    path("accounts/profile/two-factor/disable/", profile_views.two_factor_remove, name="two_factor_disable"),
    # --- Security log ---
    path("workspace/security/", security_views.security_log, name="security_log"),
]
