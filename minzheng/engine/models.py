"""Where the engine writes results (rows are replaced per run key, in bulk)."""

from __future__ import annotations

from django.db import models


class EngineResult(models.Model):
    """One subject's outcome of one rule-set run: flag, amount, severity and the explanation."""

    run_key = models.CharField(max_length=200, db_index=True)
    ruleset = models.CharField(max_length=100)
    version = models.CharField(max_length=50)
    subject = models.CharField(max_length=20)  # person / household
    subject_id = models.BigIntegerField()
    division_id = models.BigIntegerField(null=True)
    as_of = models.DateField()
    flag = models.BooleanField(null=True)
    amount_fen = models.BigIntegerField(null=True)
    severity = models.CharField(max_length=20, null=True)
    explanation = models.TextField()

    class Meta:
        db_table = "engine_result"
        indexes = [
            models.Index(
                fields=["ruleset", "subject", "subject_id", "as_of"], name="engine_result_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ruleset} {self.subject}:{self.subject_id} {self.as_of}"
