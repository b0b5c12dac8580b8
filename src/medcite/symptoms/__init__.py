"""The symptom checker: findings, knowledge, ranking, triage and interview (see checker.check)."""
