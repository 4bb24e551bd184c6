"""What every other package stands on and that knows no domain of its own: settings read once
from the environment, the database and its transactions, jobs dispatched after commit and
their RQ queue and worker (told which module names the jobs, and which sweep to run), Redis,
errors, time and wording helpers, the fonts PDFs are printed in, and migrations. The Circuit
that composes them with the domain's reference data is engine/circuit.py, above workflow/.
"""
