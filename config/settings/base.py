"""Settings shared by every environment. Values come from environment variables; the
README's configuration table lists each of them."""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from config.env import email_settings, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

SITE_NAME = env_str("SITE_NAME", "Rally")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
COALITION = {
    "name": env_str("COALITION_NAME", "Central Valley Justice Coalition"),
    "phone": env_str("COALITION_PHONE", "(559) 555-0142"),
    "email": env_str("COALITION_EMAIL", "hello@example.org"),
    "city": env_str("COALITION_CITY", "Fresno, California"),
    # The donor disclosure card (Cal. Bus. & Prof. Code §17510.3): mailing address, tax status,
    # how much of a gift is deductible (0 prints "This contribution is not tax deductible.").
    "address": env_str("COALITION_ADDRESS", "1234 Example Ave, Fresno, CA 93721"),
    "tax_exempt": env_bool("COALITION_TAX_EXEMPT", True),
    "tax_status": env_str("COALITION_TAX_STATUS",
                          "a 501(c)(3) nonprofit organization, tax exempt under federal and "
                          "California law"),
    "ein": env_str("COALITION_EIN", ""),
    "deductible_percent": env_int("COALITION_DEDUCTIBLE_PERCENT", 100),
    "purpose": env_str("COALITION_PURPOSE",
                       "awareness, volunteer training and support for survivors of human "
                       "trafficking in the Central Valley"),
}
# The National Human Trafficking Hotline, shown in every page's footer.
HOTLINE = {"phone": "1-888-373-7888", "text_number": "233733", "text_word": "HELP"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "csp",
    "rules.apps.AutodiscoverRulesConfig",
    "volunteers",
    "events",
    "donations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.request_guards.RefuseControlCharactersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "volunteers.cache_control.PrivatePagesMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "volunteers.viewer_cache.AuthenticationMiddleware",  # Django's, reading a kept row
    "volunteers.middleware.ProfileLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "volunteers.context_processors.rally",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and the Celery worker share the file.
    # IMMEDIATE transactions take the write lock up front, so two processes never deadlock
    # upgrading a read lock ("database is locked"); they wait up to `timeout` seconds instead.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;",
         "transaction_mode": "IMMEDIATE"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The few statements Rally runs on every sign-up go through a server-binding cursor
    # (volunteers.rows.cursor) that PostgreSQL prepares after this many runs on a connection;
    # every other query binds on the client, unprepared, as Django does by default. Set to
    # "off" behind a pooler in transaction mode that cannot keep prepared statements
    # (PgBouncer before 1.21).
    _prepare = env_str("DATABASE_PREPARE_THRESHOLD", "5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare.lower() in ("off", "none", "") else int(_prepare))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "volunteers.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
SITE_ID = 1

# django-allauth: email is the login, verification is mandatory, rate limits stay on.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Sign-up and password reset answer alike for known and unknown addresses; the owner of a
# known address gets an "account already exists" email instead.
ACCOUNT_PREVENT_ENUMERATION = True
# Failed logins: 10 a minute per client address, and 5 per 5 minutes per (address, email)
# pair (volunteers/login_limits.py), so knowing someone's email is not enough to lock them out.
# Every login form is allauth's: /admin/login/ sends people there (config/urls.py).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Account emails are outbox rows rendered by volunteers/messaging/account.py from
# templates/account/email/ (subjects name the coalition; no "[Rally]" prefix).
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ADAPTER = "volunteers.adapters.AccountAdapter"
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed when rate limits
# work out the client's address (config/proxy.py). Empty: the connecting address is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
ACCOUNT_FORMS = {"signup": "volunteers.forms.SignupForm"}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Read by the set_language view (volunteers/views/accounts.py); production makes it Secure.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "America/Los_Angeles")
USE_I18N = True
USE_TZ = True

# Map tiles for the drive map (Leaflet): any XYZ tile server. Its origin is let into the
# Content-Security-Policy's img-src below. When tiles cannot load, the map page still lists
# every site with the same colours.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
_tiles = urlsplit(MAP_TILE_URL)
MAP_TILE_ORIGIN = f"{_tiles.scheme}://{_tiles.netloc}" if _tiles.netloc else ""

# Content-Security-Policy (django-csp 4): scripts and styles only from Rally's own files,
# no inline code, no eval (htmx runs with allowEval off, see templates/base.html). Emails
# are not web pages and are not covered. CSP_IMG_SRC_EXTRA adds image hosts (map tiles).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *filter(None, [MAP_TILE_ORIGIN]),
                    *env_list("CSP_IMG_SRC_EXTRA", [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded permits and insurance certificates: outside any public URL, served to organizers
# only through a view that checks the role (events/views_permits.py).
# Counted street cash not yet banked shows its age; older than this many days it is an alert.
MONEY_UNDEPOSITED_ALERT_DAYS = env_int("MONEY_UNDEPOSITED_ALERT_DAYS", 3)

# The coalition's own online donation page: giving links and QR codes add ?code=<team code>
# (issue 12). Gifts of this much or more from an identifiable donor need a written
# acknowledgment; organizers are reminded this many days before a permit's return is due.
DONATION_PAGE_URL = env_str("DONATION_PAGE_URL", "https://example.org/donate")
ACKNOWLEDGMENT_THRESHOLD_CENTS = env_int("ACKNOWLEDGMENT_THRESHOLD_CENTS", 25000)
PERMIT_RETURN_REMINDER_DAYS = env_int("PERMIT_RETURN_REMINDER_DAYS", 7)

PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_URL = env_str("EMAIL_URL", "consolemail://")
vars().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# Who is asking, kept in the cache with their roles (volunteers.viewer_cache); tests turn it
# on where they prove it, so that the others count only their page's own queries.
VIEWER_CACHE = env_bool("VIEWER_CACHE", True)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "rally",
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "rally")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Publishing must never hang a request while Redis is down: fail fast, the outbox retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
# The outbox's dispatcher hands due messages to workers this many at a time (one task, sent
# over one SMTP session), with at most MESSAGE_BATCHES_AHEAD batches waiting for a worker.
MESSAGE_BATCH_SIZE = max(env_int("MESSAGE_BATCH_SIZE", 100), 1)
MESSAGE_BATCHES_AHEAD = max(env_int("MESSAGE_BATCHES_AHEAD", 10), 1)
# True: each message's SENT mark waits for PostgreSQL to flush it to disk (a database crash
# then never causes a resend); False: it does not, several times faster on slow disks.
MESSAGE_SYNCHRONOUS_COMMIT = env_bool("MESSAGE_SYNCHRONOUS_COMMIT", False)
# Run exactly one beat (README: notifications). "expires" drops runs that queued up while no
# worker was listening; the outbox rows, not the broker, remember what is due.
CELERY_BEAT_SCHEDULE: dict = {
    "dispatch-messages": {
        "task": "volunteers.dispatch_messages", "schedule": 60.0, "options": {"expires": 55},
    },
    "sweep-messages": {
        "task": "volunteers.sweep_messages", "schedule": 300.0, "options": {"expires": 290},
    },
    "queue-organizer-digests": {
        "task": "volunteers.queue_organizer_digests", "schedule": 900.0,
        "options": {"expires": 890},
    },
    # Every morning at 8 (TIME_ZONE): organizers hear of permit returns due soon (issue 12).
    "remind-permit-returns": {
        "task": "donations.remind_permit_returns", "schedule": crontab(hour=8, minute=0),
        "options": {"expires": 3600},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
