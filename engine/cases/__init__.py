"""What people do to a request and what they see of it: submit, complete, reply, withdraw,
forward (operations, applicant, forwarding), register at the registry's desk (desk), fire a
due timer (timers), who may act (officials, four eyes), the read models of a request page and
an inbox (queries, readmodel), the documents a request holds or issues (documents,
receipts), and how the city hall keeps its terms: dashboards and predicted answers (stats).
"""
