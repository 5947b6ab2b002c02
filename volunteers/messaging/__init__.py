"""Sending what the outbox (``volunteers.outbox``) queued: ``kinds`` (one template set and one
rule per kind of message), ``render`` (Message rows to e-mails with their calendar invites),
``delivery`` (dispatcher, send step, sweeper) and ``broker`` (publishing its tasks and
coalescing the dispatcher's wake-ups). The README's "Notifications" section explains the
design and its one allowed duplicate."""
