"""Sending what the outbox (``volunteers.outbox``) queued: ``kinds`` (one template set and one
rule per kind of message), ``render`` (a Message row to an e-mail with its calendar invite) and
``delivery`` (dispatcher, send step, sweeper). The README's "Notifications" section explains
the design and its one allowed duplicate."""
