"""What Circuit tells people about their requests: notifications kept in the database (posted,
read, marked read, and the messages a diagram asks for), and the e-mail they become (SMTP or
the outbox folder). The account e-mails (confirmation, reset) are people/'s.
"""
