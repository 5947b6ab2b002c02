"""How allauth's rate limits tell people apart (mixed into ``volunteers.adapters.AccountAdapter``).

- The client's address is read through ``config.proxy``: behind the TLS proxy every request
  arrives from the proxy, and ``X-Forwarded-For`` is believed only from ``TRUSTED_PROXIES``.
  Without that, ten failures a minute from anyone would lock everyone out.
- Failed logins count per (address, email) pair, not per email alone ("login_failed" in
  ``ACCOUNT_RATE_LIMITS``): a stranger who knows a volunteer's email can only lock themselves
  out of that account, never the volunteer on their own phone. Guessing passwords stays bounded
  by the per-address limit on failures (10 a minute) and by the password rules (10 characters,
  not a common password).
"""

from django.core.exceptions import PermissionDenied

from config.proxy import client_ip


class LoginLimitsMixin:
    def get_client_ip(self, request) -> str:
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        email_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{self.get_client_ip(request)}:{email_key}"
