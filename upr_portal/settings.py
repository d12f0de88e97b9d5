"""UPR Portal settings: one file, driven by environment variables.

Defaults are safe for production (DEBUG off, HTTPS redirect on, secure cookies);
`make run` sets DEBUG=1 for a local demo. Every variable is documented in README.md.
"""

import contextlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-key-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "rules",
    # TOTP two-factor authentication (stakeholders.two_factor); they bring their own migrations.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "upr_portal",
    "stakeholders",
    "recommendations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "stakeholders.middleware.MembershipMiddleware",
    # With REQUIRE_2FA: secretariat members, validators and managers enrol before anything else.
    "stakeholders.two_factor.TwoFactorEnrolmentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "upr_portal.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "upr_portal.wsgi.application"

# --- Database: PostgreSQL only -------------------------------------------------------
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/upr_portal"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        # Persistent connections, checked before reuse so that a PostgreSQL restart
        # costs one reconnect instead of a burst of 500s.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://...).")
# No JIT compilation: on the facet counts of a large table it costs seconds of compiling
# for a query that runs in a fraction of that (docs/performance.md). Generic plans for the
# statements prepared once per connection (below; the ORM prepares none): each looks rows
# up by key, and left to choose, PostgreSQL planned the recommendation page again on every
# execution at 300k rows (3.7 ms a page instead of 1.1).
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off -c plan_cache_mode=force_generic_plan")
# Wide read statements are prepared once per connection (upr_portal.lib.prepared); turn it
# off behind a pooler that hands each transaction another connection (PgBouncer's
# transaction mode).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when configured, never a single point of failure ---------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A Redis outage degrades to cache misses instead of HTTP 500.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Public data derived per request (a recommendation's page with its related ones), cached
# under the data version that every reindex bumps; 0 disables.
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "3600"))
# After every data change a background job builds the new version's facet index (the list's
# filter columns in memory, recommendations.facet_index), so that no visitor's list request
# pays for it (recommendations.indexing.bump_version), its search postings of frequent
# words (recommendations.postings) and its related recommendations (recommendations.related);
# until they are built, searches and pages compute them as they are asked.
FACET_INDEX_IN_BACKGROUND = env_bool("FACET_INDEX_IN_BACKGROUND", True)

# Sessions live in the database so that losing Redis never logs everybody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Celery ------------------------------------------------------------------------------
# With Redis: the broker is Redis. Without it, Kombu's filesystem transport lets a
# separate worker process pick jobs up from a shared folder (local runs only).
CELERY_DATA_DIR = Path(os.environ.get("CELERY_DATA_DIR", BASE_DIR / "var" / "celery"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A job whose worker died is delivered again after this many seconds.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "900")),
        # Sweep for such jobs every 30 s rather than kombu's default of ~100 s.
        "unacked_restore_interval": 30,
        "unacked_restore_throttle": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
    # Jobs queued before the worker starts (`make run` loads the demo data first) need them.
    for _folder in ("queue", "processed", "control"):
        with contextlib.suppress(OSError):  # a read-only checkout: the worker's start script makes them
            (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
# Job state lives in our own models (e.g. ImportRun), so no result backend is needed.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {}

# --- Files --------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed, compressed names from the manifest that `collectstatic` writes. Without it
# (DEBUG, tests) `{% static %}` needs no `collectstatic` and names files as they are.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Admin uploads of large recommendation files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(100 * 1024 * 1024)))

# --- API (/api/v1/) ---------------------------------------------------------------------------
# The open-data endpoints are anonymous and read-only (they allow anyone explicitly); every
# other endpoint needs a signed-in user: a script with an API token (`Authorization: Bearer
# <key>`, stakeholders.authentication) or the browser's session (CSRF enforced). Throttles
# count per client address (anonymous) or per user, in the cache (Redis in production, so
# every process shares the count).
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "stakeholders.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "upr_portal.lib.api.Pagination",
    # Deny by default: an endpoint open to anonymous clients says so (AllowAny).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "stakeholders.authentication.SignedInRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "120/minute"),
        "user": os.environ.get("API_USER_RATE", "600/minute"),
    },
    # Reverse proxies in front: the client is that many hops back in X-Forwarded-For. With
    # 0 it is REMOTE_ADDR (DRF's default would trust a header any client can forge).
    "NUM_PROXIES": int(os.environ.get("API_NUM_PROXIES", "0")),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "UPR Portal open-data API",
    "DESCRIPTION": (
        "Read-only access to UN human-rights recommendations (UPR, treaty bodies, special "
        "procedures), their reviews, taxonomies and validated implementation status. "
        "Anonymous requests are rate-limited (HTTP 429 with a Retry-After header). "
        "Account endpoints need an API token (`Authorization: Bearer <key>`), created in the "
        "profile page or with `POST /api/v1/auth/token/`, or the browser's session; "
        "`X-Organisation: <slug>` picks which of the user's organisations a token acts for."
    ),
    "VERSION": "v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("role") get a name each in the schema.
    "ENUM_NAME_OVERRIDES": {
        "MembershipRoleEnum": "stakeholders.models.MembershipRole",
        "ResponsibilityRoleEnum": "recommendations.models.ResponsibilityRole",
    },
}

# --- Security -------------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# `preload` in the header only allows submitting the domain to the browsers' HSTS preload list
# (only a registered domain, not a subdomain, can be submitted); 0 leaves it out.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A strict Content-Security-Policy (django-csp 4): scripts and styles only from our own
# files, never inline, so an injected <script> or style="" does nothing. Pages, the admin
# and the API docs all keep to it (docs/security.md; tests/test_security.py walks them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Largest file an upload may carry, counted while it streams in (upr_portal.lib.uploads):
# past it the rest of the request is not even read. Views that take larger files name
# their own limit by URL name.
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
UPLOAD_MAX_BYTES_BY_VIEW = {"admin:recommendations_importrun_import": "IMPORT_MAX_UPLOAD_BYTES"}
FILE_UPLOAD_HANDLERS = [
    "upr_portal.lib.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Accounts: sign-in by e-mail, sessions, brute-force lockout --------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out attempts before any check
    "stakeholders.backends.EmailBackend",
    # Object permissions from stakeholders.permissions; superusers get no bypass there.
    "rules.permissions.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace"
LOGOUT_REDIRECT_URL = "home"
# 30 minutes without a request ends a session (the expiry moves on with every request) and
# 12 hours after sign-in end it in any case (stakeholders.middleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_MAX_AGE_SECONDS = 12 * 60 * 60
# Two-factor authentication (TOTP, django-otp; stakeholders.two_factor). Optional for everyone;
# with REQUIRE_2FA every member of the secretariat and every validator or manager of any
# organisation must enrol before using anything else.
REQUIRE_2FA_FOR_SECRETARIAT_AND_VALIDATORS = env_bool("REQUIRE_2FA", False)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "UPR Portal")
# Nobody, superusers included, reads a user's secret key or its QR code in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Seconds between the password and the code at sign-in before the password must be typed again.
TWO_FACTOR_LOGIN_SECONDS = 5 * 60
# Reverse proxies in front of the site: the client is that many entries from the right of
# X-Forwarded-For (upr_portal.lib.client_ip). 0: REMOTE_ADDR, and the header is ignored.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT") or os.environ.get("API_NUM_PROXIES") or "0")
# django-axes: failures are counted per (e-mail address, client address), so an attacker
# elsewhere cannot lock the real user out; the lock lifts after the cool-off period.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "stakeholders.backends.login_key"
# axes names the client in its own WARNING lines: with the address hashed, as ours are.
AXES_CLIENT_STR_CALLABLE = "stakeholders.security.axes_client_str"
AXES_CLIENT_IP_CALLABLE = "upr_portal.lib.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "stakeholders/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Who signed in when is in the security log (upr_portal.security); axes keeps only the
# failures it needs, and its tables stay out of the admin, where they would list the
# members of every organisation (CSOs included) to any superuser.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
# Days an e-mailed invitation link stays valid (it can be used once).
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "7"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "UPR Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("ru", "Русский"),
    ("zh-hans", "中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Logging -------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-ins, failures, lockouts, sign-outs, role changes: kept whatever LOG_LEVEL says.
        "upr_portal.security": {"level": "INFO"},
    },
}
