"""Persons and the organisation: accounts and sign-up with their rules, the CNP and personal
data kept encrypted, profiles, browser sessions and API tokens (issued, checked, revoked),
signed single-use links and the account e-mails that carry them, what a person may see of
their own data, and the departments with who is in them (organisation).
"""
