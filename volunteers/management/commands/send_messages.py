from django.core.management.base import BaseCommand

from volunteers.messaging.delivery import messages_dispatch, messages_sweep
from volunteers.outbox import organizer_digests_queue


class Command(BaseCommand):
    help = ("Do once what beat does every few minutes: queue organizer digests, return "
            "messages stuck in flight, and dispatch every due message. Useful in development "
            "without Redis (tasks then run in this process) and to drain the outbox by hand.")

    def handle(self, *args, **options):
        digests = organizer_digests_queue()
        returned = messages_sweep()
        claimed = messages_dispatch()
        self.stdout.write(f"{digests} digest(s) offered, {returned} stuck message(s) returned, "
                          f"{claimed} message(s) handed to the send task.")
