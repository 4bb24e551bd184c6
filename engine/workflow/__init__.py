"""BPMN in, tasks and timers out: the versioned definitions and the catalog that names them, the
forms, the restricted expression language and its functions, the runtime that advances an
instance under its lock (its scripts' legal calendar handed in), the task index inboxes read,
timers as rows, and the linter that checks a diagram before it is deployed. It knows no
account, register or message: the messages a diagram asks for (`notifyApplicant`,
`timerMessage`) are returned as DiagramMessage values, and cases/ posts them.
"""
