"""Django settings, read from the environment so one file serves the demo, tests and production.

See README "Configuration" for every variable.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The fallback key is only for local use; `check --deploy` flags it, production must set SECRET_KEY.
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "django-insecure-local-only-5u$k1m9v#d0e!r7w2q8z3x4c6b1n0m"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_tasks",
    "django_tasks_db",
    "core",
    "catalog",
    "lineage",
    "governance",
    "consult",
    "vendors",
    "workspace",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.PageLocaleMiddleware",
    "core.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: it runs the API views itself, to retry them (deadlocks, dropped connections).
    "core.middleware.ApiRetryMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.pages.frame",
            ],
        },
    },
]

# SQLite under var/ is the embedded default; DATABASE_URL=postgres://... selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'catalog.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and a management command share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A persistent connection the server dropped (restart, failover, terminated backend) is noticed
# before a request uses it; one that drops during a request is retried once (core.middleware).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that makes no round trip (core/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.db.postgresql"

if os.environ.get("TEST_DATABASE_NAME"):
    # Lets two test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (large SQL submissions) runs as django-tasks tasks; the database backend needs
# nothing beyond the database: `manage.py db_worker` runs them (README "Background work").
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTHENTICATION_BACKENDS = [
    "core.backends.OneQueryModelBackend",  # ModelBackend, its permissions read in one query
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object; anonymous callers see nothing.
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

if env_bool("TESTING", False):
    # Tests create many users; the real hasher would dominate their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Django's test flush empties tables with TRUNCATE, which the audit trail's trigger
        # refuses unless the session says so on purpose (core/migrations/0003).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c core.allow_truncate=on"

# The pages speak Traditional Chinese or English (the user's choice, else the browser's);
# the API always answers in English (core.middleware.PageLocaleMiddleware).
LANGUAGE_CODE = "en"
API_LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
# Times on the web pages are shown in the retailer's time zone.
PAGE_TIME_ZONE = os.environ.get("PAGE_TIME_ZONE", "Asia/Taipei")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or env_bool("TESTING", False):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "catalog@localhost")
# The language of the e-mails the service sends (reminders), and the address its links start with.
MAIL_LANGUAGE = os.environ.get("MAIL_LANGUAGE", "zh-hant")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Production hardening, all switched on by `SECURE=1` (see README "Production").
if env_bool("SECURE", False):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.OrderedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON in, JSON out: a form-encoded body is a 415 in the error shape, not a half-read payload.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Data governance catalog and lineage API",
    "DESCRIPTION": (
        "Source systems, datasets and fields; column-level lineage from ETL SQL; "
        "committee-approved definitions; and the consult decision point for the CDP."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SORT_OPERATIONS": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The default hook (named enums), then links from each create to its object's operations.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.link_created_objects",
    ],
    # Several models have a `status` (or similar) with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "CatalogStatusEnum": "catalog.choices.Status",
        "DatasetKindEnum": "catalog.choices.DatasetKind",
        "SystemKindEnum": "catalog.choices.SystemKind",
        "ParseStatusEnum": "lineage.choices.ParseStatus",
        "VersionOriginEnum": "lineage.choices.VersionOrigin",
        "EdgeTypeEnum": "lineage.choices.EdgeType",
        "SubmissionActionEnum": "lineage.choices.SubmissionAction",
        "SubmissionStatusEnum": "lineage.choices.SubmissionStatus",
        "DialectEnum": "lineage.choices.Dialect",
        "NamespaceStatusEnum": "lineage.choices.NamespaceStatus",
        "WaitingStatusEnum": "lineage.choices.WaitingStatus",
        "VoteChoiceEnum": "governance.choices.VoteChoice",
        "ConsequenceEnum": "governance.choices.Consequence",
        "SubjectKindEnum": "governance.choices.SubjectKind",
        "ContractVersionStatusEnum": "vendors.choices.VersionStatus",
        "ChangeNoticeStatusEnum": "vendors.choices.NoticeStatus",
    },
}

# The limits of one API request: body size (a 413 beyond it), JSON nesting (a 400), attempts of a
# write that deadlocks (then a 409 `busy`).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
API_JSON_MAX_DEPTH = int(os.environ.get("API_JSON_MAX_DEPTH", "64"))
API_WRITE_ATTEMPTS = int(os.environ.get("API_WRITE_ATTEMPTS", "3"))

# Consult decision log: every decision is written before its response. By default the commit waits
# for the write-ahead log to reach disk; 0 lets PostgreSQL acknowledge it before (still committed
# and safe from a worker's death, but a database server crash may lose its last instants).
CONSULT_LOG_SYNCHRONOUS_COMMIT = env_bool("CONSULT_LOG_SYNCHRONOUS_COMMIT", True)
# Consult's per-worker state (consult/snapshot.py): fields kept computed, decisions memoised, and
# how many fields' entries are computed together (what a worker's memory peaks at).
CONSULT_CACHE_FIELDS = int(os.environ.get("CONSULT_CACHE_FIELDS", "50000"))
CONSULT_MEMO_ENTRIES = int(os.environ.get("CONSULT_MEMO_ENTRIES", "200000"))
CONSULT_BUILD_CHUNK = int(os.environ.get("CONSULT_BUILD_CHUNK", "200"))
# PostgreSQL: the hot statements (the token query, the decision log's insert) are prepared once
# per connection (core/db/postgresql/base.py). 0 behind a pooler that cannot carry them.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)

# Lineage graph queries: the largest depth and result count a caller may ask for.
LINEAGE_MAX_DEPTH = int(os.environ.get("LINEAGE_MAX_DEPTH", "50"))
LINEAGE_MAX_RESULTS = int(os.environ.get("LINEAGE_MAX_RESULTS", "10000"))
# The lineage explorer's picture: the most nodes one answer draws (the rest counted "+N more").
LINEAGE_PICTURE_CAP = int(os.environ.get("LINEAGE_PICTURE_CAP", "120"))

# The work of one request that parses SQL (README "Limits of one request"): bytes, statements
# and seconds for the whole parse, in a worker process that is killed at the time limit. The
# asynchronous submissions (/api/v1/lineage/submissions/) take larger scripts.
LINEAGE_SQL_MAX_BYTES = int(os.environ.get("LINEAGE_SQL_MAX_BYTES", "524288"))
LINEAGE_SQL_MAX_STATEMENTS = int(os.environ.get("LINEAGE_SQL_MAX_STATEMENTS", "1000"))
LINEAGE_PARSE_SECONDS = float(os.environ.get("LINEAGE_PARSE_SECONDS", "20"))
LINEAGE_ASYNC_SQL_MAX_BYTES = int(os.environ.get("LINEAGE_ASYNC_SQL_MAX_BYTES", "2000000"))
LINEAGE_ASYNC_SQL_MAX_STATEMENTS = int(os.environ.get("LINEAGE_ASYNC_SQL_MAX_STATEMENTS", "20000"))
LINEAGE_ASYNC_PARSE_SECONDS = float(os.environ.get("LINEAGE_ASYNC_PARSE_SECONDS", "1800"))
# A running submission whose worker gave no sign of life (start, progress) for this long is
# failed (worker_lost); one whose worker process is gone from this host at once.
LINEAGE_SUBMISSION_STALE_SECONDS = float(os.environ.get("LINEAGE_SUBMISSION_STALE_SECONDS", "600"))
# `manage.py prune_submissions` forgets finished submissions older than this.
LINEAGE_SUBMISSION_RETENTION_DAYS = float(os.environ.get("LINEAGE_SUBMISSION_RETENTION_DAYS", "30"))
# Parser worker processes per server process (each about 60 MB), started on first use.
LINEAGE_PARSE_WORKERS = int(os.environ.get("LINEAGE_PARSE_WORKERS", "1"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
