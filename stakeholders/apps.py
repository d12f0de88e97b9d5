from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "stakeholders"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from stakeholders import signals

        user_locked_out.connect(signals.on_lockout, dispatch_uid="stakeholders.lockout")
