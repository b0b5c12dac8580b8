"""Articles and their editorial life: publishing, accounts, review workflow, audit trail.

- ``publish``, ``topics``: answers published as articles, and the topic library (issue 5).
- ``accounts``: users and roles, login with throttling, sessions and API tokens (issue 6).
- ``passwords``: the password policy (ASVS 6.2) and Argon2id hashing.
- ``workflow``: Submitted -> Under review -> Approved (or Changes requested / Rejected).
- ``access``: who may read which version (readers: approved only; askers: their draft's
  unlisted address; staff: everything).
- ``editing``, ``history``: edits that keep every statement cited, and readable diffs.
- ``board``: the review queue, articles to review again, feedback triage, reviewer credits.
- ``due``: next review due, overdue articles, cited sources retracted or replaced since approval.
- ``audit``: the hash-chained audit trail: record, verify, render safely.
"""
