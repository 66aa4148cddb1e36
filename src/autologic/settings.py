"""Autologic settings: one validated module, configured from environment variables.

Modes (AUTOLOGIC_MODE): ``production`` (default), ``demo`` and ``test``.  Outside demo and test
the process refuses to start without a real SECRET_KEY.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
MODE = os.environ.get("AUTOLOGIC_MODE", "production")
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"AUTOLOGIC_MODE must be production, demo or test, not {MODE!r}")
RELAXED = MODE in {"demo", "test"}
# Commands that need neither a database nor secrets (`autologic protocols check`, `labels
# sample`) run offline: `autologic` sets AUTOLOGIC_OFFLINE=1 for them. There is then no
# SECRET_KEY (Django refuses anything that would sign) and no database (any query fails), so
# an offline process can sign, store or send nothing.
OFFLINE = os.environ.get("AUTOLOGIC_OFFLINE", "0") == "1"
DATA_DIR = Path(os.environ.get("AUTOLOGIC_DATA_DIR", PROJECT_DIR / "var"))

KNOWN_DEFAULT_KEYS = {"", "changeme", "secret", "django-insecure", "dev"}


def _secret_key() -> str:
    if OFFLINE:
        return ""
    key = os.environ.get("SECRET_KEY", "")
    if key and key not in KNOWN_DEFAULT_KEYS and not key.startswith("django-insecure"):
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return key
    if not RELAXED:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or a known default. Set a random value of at least 32 "
            "characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if MODE == "test":
        return "test-only-" + "x" * 40
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "demo-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("DEBUG", "0") == "1"
if DEBUG and not RELAXED:
    raise ImproperlyConfigured("DEBUG=1 shows patient data in error pages; refused in production")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if RELAXED else ""
    ).split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' JavaScript locally, so the CSP needs no CDN
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "django_tasks_rq",
    "autologic.common",
    "autologic.accounts",
    "autologic.audit",
    "autologic.patients",
    "autologic.protocols",
    "autologic.clinical",
    "autologic.care",
    "autologic.lab",
    "autologic.injections",
    "autologic.outcomes",
    "autologic.adverse_events",
    "autologic.recalls",
    "autologic.billing",
    "autologic.analytics",
    "autologic.outbox",
    "autologic.interop",
    "autologic.operations",
    "autologic.portal",
    "autologic.dashboard",
    "autologic.demo",
]

MIDDLEWARE = [
    # Request counts and latency per view for /metrics (first and last: they time the rest).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "autologic.operations.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "autologic.accounts.middleware.SessionActivityMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "autologic.accounts.middleware.RoleAccessMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "autologic.urls"
WSGI_APPLICATION = "autologic.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "autologic.accounts.context.navigation",
            ],
            "builtins": ["autologic.common.templatetags.clinic"],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'autologic.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_db))}
# A read replica (a PostgreSQL streaming standby) for reports, the registry and exports
# (autologic.operations.replica); every other read and every write goes to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DATABASE_ROUTERS = ["autologic.operations.replica.ReplicaRouter"]
if OFFLINE:
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if MODE != "test":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of deadlocking.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    # Tests create many users; the production hasher stays argon2 and is tested separately.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lockout: 5 failures per username+IP lock the account for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = "Autologic"
OTP_TOTP_THROTTLE_FACTOR = 1

# Idle sessions end after 30 minutes (HIPAA automatic logoff).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "1800"))
# The idle expiry slides with activity, written at most once a minute
# (accounts.middleware.SessionActivityMiddleware), not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token themselves (forms and hx-headers)
SECURE = not RELAXED and os.environ.get("AUTOLOGIC_INSECURE_HTTP", "0") != "1"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
# The load balancer's probes ask over plain HTTP, next to the proxy: no redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$"]
# Trust X-Forwarded-Proto only when a TLS-terminating proxy is known to set it.
BEHIND_PROXY = os.environ.get("AUTOLOGIC_BEHIND_PROXY", "0") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "locale"]

# Label print jobs (ZPL) are dropped here; a print agent next to the printers picks them up,
# so printer drivers never run inside the application (identifiers-and-labels.md §10).
LABEL_PRINT_DIR = Path(os.environ.get("AUTOLOGIC_PRINT_DIR", DATA_DIR / "print"))
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if MODE == "test"
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = MODE == "test"

# A clinic whose registry holds more treated joints than this has its claims check measured on
# the task queue rather than while the page loads (docs/registry.md).
AUTOLOGIC_REGISTRY_LIVE_LIMIT = int(os.environ.get("AUTOLOGIC_REGISTRY_LIVE_LIMIT", "5000"))

# /metrics answers only this bearer token (the monitoring system's); unset, /metrics is off.
AUTOLOGIC_METRICS_TOKEN = os.environ.get("AUTOLOGIC_METRICS_TOKEN", "")
# /ready warns when the oldest due task or outgoing message has waited longer than this.
AUTOLOGIC_READY_LAG_SECONDS = int(os.environ.get("AUTOLOGIC_READY_LAG_SECONDS", "300"))

# Background work: the embedded database queue by default; RQ on Redis when AUTOLOGIC_REDIS_URL
# is set (run `autologic rqworker --job-class django_tasks_rq.Job --with-scheduler` then).
REDIS_URL = os.environ.get("AUTOLOGIC_REDIS_URL", "")
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
TASKS = {
    "default": {
        "BACKEND": "django_tasks_rq.RQBackend" if REDIS_URL else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# The cache holds rate-limit counters, so every web process must share it.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if MODE == "test"
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    )
}

# Outgoing mail: SMTP in production; the demo writes each e-mail to a file instead.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if MODE == "production"
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Autologic <noreply@localhost>")
# SMS: "http" posts texts to a JSON gateway; "log" has no provider and sends nothing (each SMS
# waits for a person), which production refuses unless AUTOLOGIC_SMS_ALLOW_LOG=1 says so.
AUTOLOGIC_SMS_GATEWAY = os.environ.get("AUTOLOGIC_SMS_GATEWAY", "log")
AUTOLOGIC_SMS_ALLOW_LOG = os.environ.get("AUTOLOGIC_SMS_ALLOW_LOG", "0") == "1"
if (
    AUTOLOGIC_SMS_GATEWAY == "log"
    and MODE == "production"
    and not AUTOLOGIC_SMS_ALLOW_LOG
    and not OFFLINE
):
    raise ImproperlyConfigured(
        "AUTOLOGIC_SMS_GATEWAY is 'log' (the default), which sends no SMS: reminders by SMS would "
        "never reach a patient. Set AUTOLOGIC_SMS_GATEWAY=http with AUTOLOGIC_SMS_URL and "
        "AUTOLOGIC_SMS_TOKEN (or the dotted path of a gateway class), or AUTOLOGIC_SMS_ALLOW_LOG=1 "
        "to run without SMS."
    )
AUTOLOGIC_SMS_URL = os.environ.get("AUTOLOGIC_SMS_URL", "")
AUTOLOGIC_SMS_TOKEN = os.environ.get("AUTOLOGIC_SMS_TOKEN", "")
AUTOLOGIC_SMS_FROM = os.environ.get("AUTOLOGIC_SMS_FROM", "Autologic")
# Audit anchoring: the chain's head is published outside the database (a file on another volume,
# mailto: through the SMTP settings above, or an https:// endpoint with a bearer token), by
# `autologic audit anchor` and by the worker every AUTOLOGIC_AUDIT_ANCHOR_MINUTES when it moved.
AUTOLOGIC_AUDIT_ANCHOR = os.environ.get("AUTOLOGIC_AUDIT_ANCHOR", "").strip()
AUTOLOGIC_AUDIT_ANCHOR_TOKEN = os.environ.get("AUTOLOGIC_AUDIT_ANCHOR_TOKEN", "")


def _audit_anchor_minutes() -> int:
    from autologic.audit.anchoring.domain import parse_destination, parse_minutes

    try:
        if AUTOLOGIC_AUDIT_ANCHOR:
            kind = parse_destination(AUTOLOGIC_AUDIT_ANCHOR).kind
            if kind == "http" and not AUTOLOGIC_AUDIT_ANCHOR_TOKEN:
                raise ValueError("an HTTP sink needs AUTOLOGIC_AUDIT_ANCHOR_TOKEN")
    except ValueError as error:
        raise ImproperlyConfigured(f"AUTOLOGIC_AUDIT_ANCHOR: {error}") from error
    try:
        return parse_minutes(os.environ.get("AUTOLOGIC_AUDIT_ANCHOR_MINUTES", "15"))
    except ValueError as error:
        raise ImproperlyConfigured(f"AUTOLOGIC_AUDIT_ANCHOR_MINUTES: {error}") from error


AUTOLOGIC_AUDIT_ANCHOR_MINUTES = _audit_anchor_minutes()


def _signing_window_minutes() -> int:
    from autologic.audit.domain import parse_signing_window

    try:
        return parse_signing_window(os.environ.get("AUTOLOGIC_SIGNING_WINDOW_MINUTES", "30"))
    except ValueError as error:
        raise ImproperlyConfigured(f"AUTOLOGIC_SIGNING_WINDOW_MINUTES: {error}") from error


# 21 CFR 11.200(a)(1)(i): after a signing with password and authenticator code, the same user
# signs with the password alone for this many minutes of the same session (0: never).
AUTOLOGIC_SIGNING_WINDOW_MINUTES = _signing_window_minutes()
# Links in e-mails and SMS point here (the portal is reached from outside the clinic).
AUTOLOGIC_PUBLIC_URL = os.environ.get("AUTOLOGIC_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# FHIR: the namespace of every platform identifier system, code system and extension URI.  It
# must not change when the server moves (identifiers sent to other systems keep it), so it is
# not the server's address; production sets the clinic network's own (an https URL it owns).
AUTOLOGIC_FHIR_NAMESPACE = os.environ.get(
    "AUTOLOGIC_FHIR_NAMESPACE", "https://fhir.autologic.invalid"
).rstrip("/")
# Lifetime of a machine client's bearer token (SMART Backend Services recommends 5 minutes).
AUTOLOGIC_FHIR_TOKEN_SECONDS = int(os.environ.get("AUTOLOGIC_FHIR_TOKEN_SECONDS", "300"))
# Bulk export: the size at which an NDJSON file is closed and the next begun, and how far
# `_since` looks back before the time asked for (changes committed late are sent again).
AUTOLOGIC_FHIR_EXPORT_FILE_BYTES = int(
    os.environ.get("AUTOLOGIC_FHIR_EXPORT_FILE_BYTES", str(128 * 1024 * 1024))
)
AUTOLOGIC_FHIR_SINCE_MARGIN_SECONDS = int(
    os.environ.get("AUTOLOGIC_FHIR_SINCE_MARGIN_SECONDS", "600")
)

# Logs never hold a portal token: a refused request's path (CSRF, 404, 500) holds one, so every
# handler cuts them out. Django's own handlers are replaced by these (its records propagate to
# the root's); gunicorn's logs get the same filter (autologic.portal.gunicorn_logger).
# Structured logs (docs/operations.md): one JSON object per line with its request id, in
# production by default; plain text in the demo and the tests unless AUTOLOGIC_LOG_FORMAT=json.
LOG_FORMAT = os.environ.get("AUTOLOGIC_LOG_FORMAT", "json" if MODE == "production" else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"AUTOLOGIC_LOG_FORMAT must be json or text, not {LOG_FORMAT!r}")
if LOG_FORMAT == "json":
    logging.captureWarnings(True)  # Python's warnings become JSON lines too (logger py.warnings)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_portal_tokens": {"()": "autologic.portal.logs.RedactPortalTokens"},
        "request_id": {"()": "autologic.operations.logs.RequestIdFilter"},
    },
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
        "json": {"()": "autologic.operations.logs.JsonLogFormatter"},
        "text": {"format": "{levelname} {name} {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_portal_tokens", "request_id"],
            "formatter": LOG_FORMAT,
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_portal_tokens"],
        },
    },
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Patient search answers with at most this many rows.
PATIENT_SEARCH_LIMIT = 50
