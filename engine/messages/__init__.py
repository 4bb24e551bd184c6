"""What Circuit tells people: notifications kept in the database, the e-mail they become
(SMTP or the outbox folder), and the account e-mails (confirmation, reset).
"""
