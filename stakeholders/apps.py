from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stakeholders"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from stakeholders import signals

        user_locked_out.connect(signals.on_lockout, dispatch_uid="stakeholders.lockout")
        # A sign-in that skipped the two-factor code (e.g. the admin's login form) is undone.
        from django.contrib.auth.signals import user_logged_in

        from stakeholders import two_factor

        user_logged_in.connect(two_factor.on_login, dispatch_uid="stakeholders.two_factor")
