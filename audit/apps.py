from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from . import key_custody, vocabulary

        key_custody.connect()
        from .choices import AuditAction

        vocabulary.register(
            self.label,
            AuditAction,
            {
                AuditAction.REQUEST_DENIED: {vocabulary.Trait.PASSIVE},
                AuditAction.PLAINTEXT_REVEALED: {
                    vocabulary.Trait.REVEAL,
                    vocabulary.Trait.CASE_ACCESS,
                    vocabulary.Trait.PASSIVE,
                },
            },
        )
