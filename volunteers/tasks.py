from celery import shared_task

from .models import User


@shared_task(name="volunteers.send_welcome_email", bind=True, acks_late=True)
def send_welcome_email(self, *, user_id: int) -> None:
    """Send the welcome mail once the volunteer's address is verified. Re-fetches the user;
    a deleted account is skipped quietly."""
    from .emails import welcome_email_send

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    welcome_email_send(user=user)
