"""BPMN in, tasks and timers out: the versioned definitions and the catalog that names them, the
forms, the restricted expression language and its functions, the runtime that advances an
instance under its lock, the task index inboxes read, timers as rows, and the linter that
checks a diagram before it is deployed. It knows no account, register or message: what a
step means to a person is decided above it, in cases/.
"""
