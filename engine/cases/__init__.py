"""What people do to a request and what they see of it: submit, complete, reply, withdraw,
forward (operations, applicant, forwarding), who may act (officials, four eyes), the read
models of a request page and an inbox (queries, readmodel), and the documents a request
holds or issues (documents, receipts).
"""
