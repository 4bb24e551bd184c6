"""What every other package stands on and that knows no domain of its own: settings read once
from the environment, the Circuit context handed to the app and the worker, the database
and its transactions, jobs dispatched after commit and their RQ queue, Redis, errors, time
and wording helpers, the audit trail and migrations.
"""
