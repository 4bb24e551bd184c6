"""Persons and the organisation: accounts and sign-up with their rules, the CNP and personal
data kept encrypted, profiles, sessions and tokens, signed single-use links, what a person
may see of their own data, and the departments with who is in them (organisation).
"""
