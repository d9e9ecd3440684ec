"""Pulse settings, all from the environment (see README.md, 'Configuration')."""

import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PULSE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)

# No secret default: a development key exists only when DEBUG is on, so a production start
# without SECRET_KEY stops here with a message instead of running with a known key.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string, "
            "or set DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "ingest",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    # Serves static/ (Chart.js, CSS) from the WSGI process in production, with hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dashboard.metrics.cached.SelectorScopePerRequest",
]

# PULSE_LOGIN_REQUIRED=true: every page (dashboard, exports, definitions) needs a signed-in
# user; only the login page itself and static files answer without one.
PULSE_LOGIN_REQUIRED = env_bool("PULSE_LOGIN_REQUIRED", default=False)
if PULSE_LOGIN_REQUIRED:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    )
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "overview"

# Content-Security-Policy: nothing but our own origin. Pages carry no inline script or style
# (chart data travels in json_script blocks, which are data, not script; static/js/charts.js
# draws them), so none is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the empty favicon is a data: URL
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy: the dashboard uses none of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

# Error reports (DEBUG's 500 page, mailed reports) never show credentials that travel inside
# URLs (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL): see config/errors.py.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.errors.SecretsHidingFilter"
DEFAULT_EXCEPTION_REPORTER = "config.errors.SecretsHidingReporter"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.pulse",
            ],
        },
    },
]

# Embedded default: a SQLite file under var/. DATABASE_URL=postgres://… switches to PostgreSQL.
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pulse.sqlite3'}"),
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        )
    }
except ValueError:  # dj_database_url's UnknownSchemeError among them
    # The message names the scheme only: the URL itself may carry a password.
    _scheme = env_str("DATABASE_URL", "").partition("://")[0]
    raise ImproperlyConfigured(
        f"DATABASE_URL has an unknown scheme {_scheme!r}: use postgres://user@host:5432/name "
        "or sqlite:///path."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Take the write lock when a transaction starts: a deferred transaction that reads
            # then writes fails at once with "database is locked" when another process (the
            # worker, a second sync) is writing, instead of waiting `timeout` seconds.
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Rollup indexes carry INCLUDE columns for PostgreSQL's index-only scans; SQLite ignores
    # them (the index still works), which is all models.W040 says.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The dashboard's queries are short indexed aggregates; PostgreSQL's JIT compiles them
    # anyway when row estimates are large, and that costs more than it saves.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DATABASES["default"].setdefault("TEST", {})

# The dashboard caches selector results until the next rollup rebuild. Per process by default;
# CACHE_URL=redis://host:6379/1 shares them between the web processes (and lets the worker
# warm them after a rebuild).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        "CACHE_URL must be a Redis address (redis://host:6379/1, rediss://… or unix://…)."
    )
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request until collectstatic ran
if not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# Production hardening; `manage.py check --deploy` passes with DEBUG off.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # urllib3 logs full URLs at DEBUG; never tokens (those travel in headers), but quiet it.
        "urllib3": {"level": "WARNING"},
        "github": {"level": "WARNING"},
    },
}

# --- Pulse ------------------------------------------------------------------------------------

# One token or a comma list; used in turn. Never logged, never passed to a task.
GITHUB_TOKENS = env_list("GITHUB_TOKEN")
# The demo world (`make run` without GITHUB_TOKEN): every page says "Demo data".
PULSE_DEMO = env_bool("PULSE_DEMO", default=False)
GITHUB_API_URL = (env_str("GITHUB_API_URL", "https://api.github.com") or "").rstrip("/")
# The token goes to GITHUB_API_URL's host: one that resolves to a loopback, private or other
# non-public address is refused (ingest/github/client.py api_url_check) unless this says
# otherwise, for the simulator on loopback or a GitHub Enterprise Server on a private network.
# Link-local addresses (cloud metadata services, 169.254.169.254) are refused even then.
PULSE_ALLOW_PRIVATE_API = env_bool("PULSE_ALLOW_PRIVATE_API", default=False)
# GitHub's names: an organisation (user) login is letters, digits and hyphens; a repository
# name also allows dots and underscores.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_FULL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
PULSE_ORGS = env_list("PULSE_ORGS", "sofastack,mosn")
for _org in PULSE_ORGS:
    if not _LOGIN.match(_org):
        raise ImproperlyConfigured(
            f"PULSE_ORGS entry {_org!r} is not a GitHub organisation name "
            "(letters, digits and hyphens; comma-separated)."
        )
PULSE_REPOS = env_list("PULSE_REPOS")
for _repo in PULSE_REPOS:
    if not _FULL_NAME.match(_repo) or _repo.split("/")[1] in (".", ".."):
        raise ImproperlyConfigured(f"PULSE_REPOS entry {_repo!r} is not of the form owner/name.")

# The community's home organisation (who counts as not external), see docs/metrics.md.
PULSE_HOME_ORG = env_str("PULSE_HOME_ORG", "Ant Group")
PULSE_HOME_COMPANIES = env_list(
    "PULSE_HOME_COMPANIES",
    "ant group,antgroup,蚂蚁集团,蚂蚁金服,alipay,支付宝,antfin,ant financial",
)
PULSE_HOME_DOMAINS = env_list(
    "PULSE_HOME_DOMAINS", "antgroup.com,antfin.com,alipay.com,alibaba-inc.com"
)
# Accounts that act as bots but that GitHub's commit and user APIs show as type User (GitHub's
# coding agent authors commits as "Copilot"); set PULSE_BOT_LOGINS="" to count them as people.
PULSE_BOT_LOGINS = env_list("PULSE_BOT_LOGINS", "Copilot,copilot-swe-agent")
# Stop and reschedule when a token's remaining budget falls below this.
GITHUB_MIN_REMAINING = env_int("GITHUB_MIN_REMAINING", 50)
GITHUB_TIMEOUT = env_int("GITHUB_TIMEOUT", 30)

# --- Celery ------------------------------------------------------------------------------------

# Embedded default: Celery's filesystem transport under var/. redis:// or amqp:// switch to a
# real broker shared by any number of workers.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
# Ingest tasks: a sync that reaches the soft limit records what it did and continues in a
# new task; the hard limit ends a task that ignores it. Redis redelivers a killed worker's
# task after the visibility timeout, which must be longer than a task may run.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 10 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", CELERY_TASK_TIME_LIMIT - 60)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 120)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_TASK_SOFT_TIME_LIMIT={CELERY_TASK_SOFT_TIME_LIMIT} must be positive and below "
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT}."
    )
if CELERY_VISIBILITY_TIMEOUT < CELERY_TASK_TIME_LIMIT + 10:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT={CELERY_VISIBILITY_TIMEOUT} must exceed "
        f"CELERY_TASK_TIME_LIMIT={CELERY_TASK_TIME_LIMIT} (by 10 s or more), or Redis would hand "
        "a running task to a second worker."
    )
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
        # Broadcast/fanout exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(_queue_dir / "control"),
    }
    _default_backend = f"file://{VAR_DIR / 'celery-results'}"
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
else:
    # Redis hands an unacknowledged task to another worker once the visibility timeout has
    # passed: that is how a killed worker's sync is picked up again (the sync tasks are
    # acknowledged late), and also what would run a task twice if it ran longer or waited
    # (countdown) longer. So it is sized just above the task time limit, below which the
    # ingest tasks stop and continue in a new task, and every countdown is kept under it
    # (ingest/tasks.py); workers sweep for such tasks every 10 s. The dashboard's rebuild may
    # run longer (its own 30-minute limit): a second delivery meanwhile returns at once, as
    # the rebuild is single-flight (dashboard/derived/rebuild.py). RabbitMQ redelivers when
    # the worker's connection drops, without a timeout.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
    _default_backend = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "rpc://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", _default_backend)
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # set per task: only idempotent tasks ack late
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "ingest"
CELERY_TASK_ROUTES = {
    "ingest.*": {"queue": "ingest"},
    "dashboard.*": {"queue": "rollups"},
}
PULSE_INCREMENTAL_CRON = env_str("PULSE_INCREMENTAL_CRON", "7 * * * *")
PULSE_RECONCILE_CRON = env_str("PULSE_RECONCILE_CRON", "23 2 * * *")


def _cron(expr: str, name: str) -> crontab:
    parts = expr.split()
    if len(parts) != 5:
        raise ImproperlyConfigured(f"{name}={expr!r} is not a 5-field cron expression.")
    minute, hour, day_of_month, month_of_year, day_of_week = parts
    return crontab(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
    )


CELERY_BEAT_SCHEDULE = {
    "ingest-incremental": {
        "task": "ingest.sync_all",
        "schedule": _cron(PULSE_INCREMENTAL_CRON, "PULSE_INCREMENTAL_CRON"),
        "kwargs": {"full": False},
    },
    "ingest-reconcile": {
        "task": "ingest.sync_all",
        "schedule": _cron(PULSE_RECONCILE_CRON, "PULSE_RECONCILE_CRON"),
        "kwargs": {"full": True},
    },
}
if not GITHUB_TOKENS:
    # Without a token there is nothing to sync on schedule: GitHub's anonymous budget (60
    # requests an hour) does not cover an organisation, and on the demo's database real data
    # would mix with the synthetic world. config/celery.py says so when beat starts.
    CELERY_BEAT_SCHEDULE = {}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The weekly digest by e-mail (dashboard.tasks.send_weekly_digest, multipart: Markdown text and
# HTML) to PULSE_DIGEST_TO (comma-separated addresses), scheduled by PULSE_DIGEST_CRON (default
# Mondays 06:00 UTC: the week just ended). Without PULSE_DIGEST_TO nothing is scheduled or sent.
PULSE_DIGEST_TO = env_list("PULSE_DIGEST_TO")
PULSE_DIGEST_CRON = env_str("PULSE_DIGEST_CRON", "0 6 * * 1")
if PULSE_DIGEST_TO:
    CELERY_BEAT_SCHEDULE["weekly-digest"] = {
        "task": "dashboard.send_weekly_digest",
        "schedule": _cron(PULSE_DIGEST_CRON, "PULSE_DIGEST_CRON"),
    }
# Django's SMTP e-mail backend; no credentials unless given.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "pulse@localhost")
