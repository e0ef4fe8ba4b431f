"""Helpdesk settings: one file, every value from the environment, defaults that run with zero setup.

Production differs from development only through variables (``DEBUG=0``, a real ``SECRET_KEY``,
``DATABASE_URL``, ``CELERY_BROKER_URL``, ``REDIS_URL``, ``EMAIL_BACKEND``/``ANYMAIL``...), never
through a second settings module. A malformed value fails at start-up, not at the first request.
"""

import re
import warnings
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but 1/0/true/false/yes/no/on/off is a start-up error."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def ensure_dir(path: Path, *, source: str, needed_by: str, required: bool = False) -> None:
    """Create a folder that processes write into, at start-up, whatever else is configured.

    ``source`` names the variable it comes from (``"VAR_DIR=/srv/var"``). When the folder cannot
    be created (read-only file system, a file in the way), a setting that no process can work
    without (``required``) stops every process with ImproperlyConfigured; otherwise a warning
    says who will fail and why, and the processes that do not need it (the web server) start.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        message = (
            f"{source}: cannot create {path} ({error.strerror or error}), which {needed_by} "
            "needs. Point the variable at a writable folder."
        )
        if required:
            raise ImproperlyConfigured(message) from None
        warnings.warn(message, RuntimeWarning, stacklevel=2)


DEBUG = env_bool("DEBUG", default=True)

_INSECURE_DEV_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_INSECURE_DEV_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_DEV_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

# Tenants live on <slug>.<BASE_DOMAIN>; the bare BASE_DOMAIN is the platform host (Django admin).
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower().strip(".")
if not BASE_DOMAIN:
    raise ImproperlyConfigured("BASE_DOMAIN must not be empty.")
ALLOWED_HOSTS = [BASE_DOMAIN, f".{BASE_DOMAIN}", *env.list("EXTRA_ALLOWED_HOSTS", default=[])]
# The scheme and port used when building absolute links outside a request (emails from workers).
SITE_SCHEME = env.str("SITE_SCHEME", default="http" if DEBUG else "https")
SITE_PORT = env_int("SITE_PORT", default=8000 if DEBUG else 0)

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "anymail",
    "allauth",
    "allauth.account",
    "allauth.mfa",  # second factor: authenticator-app codes and recovery codes
    "csp",
    "accounts",
    "tenants",
    "desk",  # support settings and business time, between tenancy and tickets
    "tickets",
    "outbox",
    "escalations",
    "surveys",
    "chat",  # live chat over websockets (Channels), transcripts that become tickets
    "helpcenter",  # categories, sections, articles, search, votes, ticket deflection
    "bugs",  # internal bug reports linked to tickets, the supported-version rule
    "inbox",  # email as a way in: support addresses, the inbound webhook, IMAP mailboxes
    "webhooks",  # ticket events POSTed, signed, to the tenant's own endpoints
    "demo",  # seed_demo and the bench_* commands: the top layer, imported by nothing
    "bench",  # seed_bench and bench: volume data and the page benchmark, above demo
]

MIDDLEWARE = [
    # NUL in a header or cookie (a session key, say): a 400 before anything reads it.
    "core.middleware.RejectUnstorableHeadersMiddleware",
    # Signup, a failed sign-in, reset and code requests answer in the same time for any address.
    "accounts.middleware.SteadyAnswerMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Resolves the tenant from the host, opens the request's transaction with the tenant set for
    # the ORM and for PostgreSQL row-level security, and drops users who are not members.
    "tenants.middleware.TenantMiddleware",
    # Who is acting and from where, for the audit log (tenants.audit).
    "tenants.audit.AuditContextMiddleware",
    # The reader's time zone (their own, their browser's, else the tenant's) for every page.
    "accounts.middleware.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL characters in any field or query parameter: a 400 before a view can hit the database.
    "core.middleware.RejectUnstorableInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff of a helpdesk that requires a second factor set one up before anything else.
    "accounts.middleware.SecondFactorRequiredMiddleware",
    # Content-Security-Policy on every response, with a fresh nonce for our few inline scripts.
    "csp.middleware.CSPMiddleware",
    # API responses carry people's tickets: never stored by browsers or shared caches.
    "core.middleware.ApiNoStoreMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
PLATFORM_URLCONF = "helpdesk.urls_platform"

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
                "tenants.context_processors.tenant",
                "chat.context_processors.chat_agent",
                "csp.context_processors.nonce",
            ],
            # {% url %} remembers the links without arguments (core/templatetags/url_memo.py).
            "builtins": ["core.templatetags.url_memo"],
        },
    },
]

WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

# --- Database -------------------------------------------------------------------------------
# Default: a SQLite file, so the demo needs no server. CI and production use PostgreSQL, where
# the app connects as an ordinary role (not a superuser) so row-level security applies to it.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat write to the same file: wait for the lock instead of failing, and take
    # the write lock at BEGIN so two writers never deadlock upgrading a read lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        # Django's Redis cache, one client per pool (core/cache.py).
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# A host's tenant is kept this long in the cache (dropped at once when the tenant is saved).
TENANT_CACHE_SECONDS = env_int("TENANT_CACHE_SECONDS", default=60)
# The manager overview's figures are kept this long per tenant (0: made on every request).
OVERVIEW_CACHE_SECONDS = env_int("OVERVIEW_CACHE_SECONDS", default=60)
# The workspace's side counts (tickets in each view) are kept this long per person.
NAV_COUNT_SECONDS = env_int("NAV_COUNT_SECONDS", default=30)

# --- Live chat (Django Channels) ------------------------------------------------------------
# With REDIS_URL every web process shares one channel layer; without it (the embedded default,
# one web process) the in-memory layer serves.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "helpdesk-chat"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# A waiting chat nobody takes within this becomes a missed chat (the customer is offered the
# ticket form); a chat in progress with no message for this long is ended.
CHAT_MISSED_AFTER_MINUTES = env_int("CHAT_MISSED_AFTER_MINUTES", default=10)
CHAT_IDLE_END_MINUTES = env_int("CHAT_IDLE_END_MINUTES", default=30)

# --- Accounts (django-allauth, email login) -------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_PREVENT_ENUMERATION = True
# Signup answers in the same time for an address with an account as for a new one.
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
# Changing an email address asks for the password (or a code) again unless it was confirmed in
# the last five minutes; so do the second-factor pages, every CSV export and making an API token.
# A password change asks for the current password.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# "Email me a sign-in code": the owner's way in while their password is locked out or lost.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
# The least time (seconds) these answers take, account or not (accounts.middleware): above
# what the slower of the two takes here (a password hash is 0.3-0.6 s on 2 cores).
ACCOUNT_STEADY_ANSWERS = {
    "account_signup": 1.0,
    "account_login": 1.5,  # a failed sign-in only: two hashes, 0.6-1.1 s
    "account_reset_password": 0.3,
    "account_request_login_code": 0.3,
}
# Second factor (allauth.mfa): an authenticator app's six-digit codes, with ten single-use
# recovery codes for a lost phone. A helpdesk can require it of its staff (Settings).
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_TOLERANCE = 1  # one 30-second step either side: a phone clock a little off still works
# allauth's defaults throttle failed logins, signups and reset mails per IP and per account; we
# keep them on and say so, so nobody "simplifies" them away.
# A failed sign-in counts per client address (10 a minute) and per account *and* address
# together (5 in 5 minutes, accounts.adapter): failures from an attacker's address never lock
# the owner out from theirs.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "portal:home"

# Host-only cookies: no SESSION_COOKIE_DOMAIN, so a session on one tenant's host is never sent
# to another's. The middleware also binds each session to the tenant it was created on.
SESSION_COOKIE_DOMAIN = None
# With Redis, sessions are read from the shared cache and written through to the database
# (every request reads one: a query saved per request); without it, the database alone (an
# in-process cache would let a session signed out in one process live on in another).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security (production values whenever DEBUG is off; each can be overridden) -------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# How many proxies in front of the app add to X-Forwarded-For (``true`` means one). Only then
# are X-Forwarded-Proto and the client address of X-Forwarded-For believed; the address is the
# entry that many from the right (what a client writes further left is ignored), so the
# sign-in limits count each real client, not the proxy, and a client cannot pick its own.
_proxy_raw = env.str("BEHIND_TLS_PROXY", default="").strip().lower()
if _proxy_raw.isdigit():
    TRUSTED_PROXIES = int(_proxy_raw)
else:
    TRUSTED_PROXIES = 1 if env_bool("BEHIND_TLS_PROXY", default=False) else 0
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXIES
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Content-Security-Policy (django-csp) on every page: scripts and styles from our own origin,
# inline ones only with this response's nonce (``nonce="{{ CSP_NONCE }}"``), no plugins, no
# framing, forms post only to us. Style attributes are refused too: pages use classes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],  # data: for the authenticator QR code
        "connect-src": [SELF],  # fetches and the chat websocket, same origin
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG

# --- Attachment storage ---------------------------------------------------------------------
# Every upload goes through Django's storage API (tickets.attachments, tickets.services,
# chat.services), so where the bytes live is this one choice. "local": files under MEDIA_ROOT,
# the embedded default, good for one machine. "s3": an S3-compatible object store (AWS S3,
# MinIO, ...), so web and worker nodes keep nothing of their own and any of them serves any file.
ATTACHMENT_STORAGE = env.str("ATTACHMENT_STORAGE", default="local").strip().lower()
if ATTACHMENT_STORAGE == "local":
    _attachment_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif ATTACHMENT_STORAGE == "s3":
    _bucket = env.str("AWS_STORAGE_BUCKET_NAME", default="").strip()
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", _bucket):
        raise ImproperlyConfigured(
            f"AWS_STORAGE_BUCKET_NAME={_bucket!r}: ATTACHMENT_STORAGE=s3 needs the bucket's name "
            "(3-63 lower-case letters, digits, dots and hyphens)."
        )
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="").strip() or None
    if _endpoint and not re.fullmatch(r"https?://[^\s/?#]+/?", _endpoint):
        raise ImproperlyConfigured(
            f"AWS_S3_ENDPOINT_URL={_endpoint!r}: write the store's address, e.g. "
            "http://minio:9000 (leave it unset for AWS S3)."
        )
    _addressing = env.str("AWS_S3_ADDRESSING_STYLE", default="auto").strip().lower()
    if _addressing not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured(
            f"AWS_S3_ADDRESSING_STYLE={_addressing!r} is not one of auto, path, virtual."
        )
    # Keys: both or neither. Neither leaves boto3's standard chain to find them (its own
    # variables, ~/.aws, an instance or pod role), so a cloud deployment needs no secret here.
    _access_key = env.str("AWS_ACCESS_KEY_ID", default="").strip()
    _secret_key = env.str("AWS_SECRET_ACCESS_KEY", default="").strip()
    if bool(_access_key) != bool(_secret_key):
        raise ImproperlyConfigured(
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together: set both, or neither "
            "to use the standard credential chain."
        )
    # The object carries no browser's claim about its type (the row keeps the type sniffed from
    # the content, which the download view sends) and, were it ever reached directly, downloads.
    _object_parameters = {
        "ContentType": "application/octet-stream",
        "ContentDisposition": "attachment",
    }
    _encryption = env.str("AWS_S3_SERVER_SIDE_ENCRYPTION", default="").strip()
    if _encryption:
        if _encryption not in {"AES256", "aws:kms"}:
            raise ImproperlyConfigured(
                f"AWS_S3_SERVER_SIDE_ENCRYPTION={_encryption!r} is not AES256 or aws:kms."
            )
        _object_parameters["ServerSideEncryption"] = _encryption
        _kms_key = env.str("AWS_S3_SSE_KMS_KEY_ID", default="").strip()
        if _kms_key:
            if _encryption != "aws:kms":
                raise ImproperlyConfigured(
                    "AWS_S3_SSE_KMS_KEY_ID needs AWS_S3_SERVER_SIDE_ENCRYPTION=aws:kms."
                )
            _object_parameters["SSEKMSKeyId"] = _kms_key
    _attachment_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _bucket,
            "endpoint_url": _endpoint,
            "region_name": env.str("AWS_S3_REGION_NAME", default="").strip() or None,
            "addressing_style": None if _addressing == "auto" else _addressing,
            "access_key": _access_key or None,
            "secret_key": _secret_key or None,
            # Private objects: no ACL is sent, so an object is its bucket owner's alone (and a
            # bucket with ACLs disabled, AWS's default, accepts the upload).
            "default_acl": None,
            # No signed URLs: a signed link would let anyone holding it past the tenant and role
            # checks. Files reach browsers only through the app's download views
            # (tickets.attachments.download_response); an unsigned .url() is refused by the
            # private bucket, so a template that used it would fail closed.
            "querystring_auth": False,
            # Django's contract, as on disk: saving never replaces another file (the names are
            # random, so this costs one HEAD per upload and guards the migrations that move files).
            "file_overwrite": False,
            "object_parameters": _object_parameters,
            # A download is read into a spooled temporary file: files above this go to disk, not
            # memory, whatever their number at once.
            "max_memory_size": 2 * 1024 * 1024,
        },
    }
else:
    raise ImproperlyConfigured(f"ATTACHMENT_STORAGE={ATTACHMENT_STORAGE!r} is not local or s3.")

STORAGES = {
    "default": _attachment_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Ticket attachments: per file and per ticket, and how long a failed form keeps its good files.
ATTACHMENT_MAX_FILE_BYTES = env_int("ATTACHMENT_MAX_FILE_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_TICKET_BYTES = env_int("ATTACHMENT_MAX_TICKET_BYTES", default=25 * 1024 * 1024)
ATTACHMENT_MAX_FILES_PER_FIELD = 10
ATTACHMENT_STAGING_HOURS = 24
# Requests may carry a whole ticket's attachments (plus form overhead).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
# Console in development; production sets EMAIL_BACKEND to an anymail backend and its ANYMAIL_*.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"support@{BASE_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and value
}
# Tests and the demo smoke run can write mail to files (filebased backend) for other processes.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# Replies to notification emails go to reply+<signed ticket token>@INBOUND_EMAIL_DOMAIN.
INBOUND_EMAIL_DOMAIN = env.str("INBOUND_EMAIL_DOMAIN", default=f"reply.{BASE_DOMAIN}")
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))  # e.g. smtp://mailpit:1025 in docker-compose
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    # The backend would create it lazily, failing at the first email rather than at start-up.
    ensure_dir(
        Path(EMAIL_FILE_PATH),
        source=f"EMAIL_FILE_PATH={EMAIL_FILE_PATH}",
        needed_by="the file email backend",
    )

# --- Celery ---------------------------------------------------------------------------------
# Default broker: kombu's filesystem transport, which needs no server (web, worker and beat
# exchange messages through files under VAR_DIR). CI and production use Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # The same broker with its host named: otherwise kombu warns "No hostname was supplied"
    # in every process that connects.
    CELERY_BROKER_URL = "filesystem://localhost//"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-queue"
    ensure_dir(
        _queue_dir,
        source=f"VAR_DIR={VAR_DIR}",
        needed_by="the filesystem broker (every process)",
        required=True,
    )
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Exchange tables; kombu's default is ./control, inside the checkout.
        "control_folder": str(VAR_DIR / "celery-control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = (
    True  # a worker that dies mid-task leaves it for another; tasks are idempotent
)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Whatever the broker: beat opens its schedule file at start and dies if the folder is missing.
ensure_dir(VAR_DIR, source=f"VAR_DIR={VAR_DIR}", needed_by="celery beat (its schedule file)")
# Automation passes started at once by each beat tick, each a task for any free worker
# process; they share the due tickets through SKIP LOCKED (tickets.automations), so a backlog
# is worked off on that many cores.
AUTOMATION_WORKERS = env_int("AUTOMATION_WORKERS", default=2)
CELERY_BEAT_SCHEDULE = {
    # Every 5 minutes: the policy's timed rules (pending -> solved, solved -> closed, reminders),
    # AUTOMATION_WORKERS passes at once.
    "run-automations": {
        "task": "tickets.tasks.run_automations",
        "schedule": env_int("AUTOMATION_INTERVAL_SECONDS", default=300),
    },
    # Every minute: send outbox rows whose task was lost or whose retry backoff has passed.
    "sweep-outbox": {"task": "outbox.tasks.sweep_outbox", "schedule": 60},
    # Hourly at :40: delete files staged by submission forms that were never completed.
    "purge-staged-attachments": {
        "task": "tickets.tasks.purge_staged_attachments",
        "schedule": crontab(minute=40),
    },
    # Every minute: import new mail from the tenants' own mailboxes (IMAP).
    "poll-mailboxes": {"task": "inbox.tasks.poll_mailboxes", "schedule": 60},
    # Every minute: waiting chats nobody took become missed; silent chats in progress end.
    "sweep-chats": {"task": "chat.tasks.sweep_chats", "schedule": 60},
    # Every minute: webhook deliveries whose task was lost or whose retry pause has passed.
    "sweep-webhooks": {"task": "webhooks.tasks.sweep_webhooks", "schedule": 60},
    # Daily at 03:17 UTC: remove expired sessions so the session table does not grow forever.
    "clear-expired-sessions": {
        "task": "helpdesk.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Webhooks -------------------------------------------------------------------------------
# Let endpoints use plain http:// and addresses inside this network (loopback, private ranges):
# for development and tests only; in production webhooks reach public https:// addresses only.
WEBHOOKS_ALLOW_LOCAL = env_bool("WEBHOOKS_ALLOW_LOCAL", default=False)

# --- REST framework -------------------------------------------------------------------------
# Requests per token (or signed-in person, or client address) to /api/v1/: "<n>/<s|min|hour>".
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
if not re.fullmatch(r"[1-9][0-9]{0,6}/(s|sec|m|min|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT={API_RATE_LIMIT!r}: write requests per period, e.g. 600/min."
    )
REST_FRAMEWORK = {
    # A personal token (accounts.api_auth) for scripts; the browser's session, with CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api_auth.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.ApiRateThrottle"],
    # The client address for anonymous limits: X-Forwarded-For only behind trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXIES,
    # Every refusal as {"code", "detail", "fields"} (a lifecycle refusal is 409, as on pages).
    "EXCEPTION_HANDLER": "core.api_errors.handle_exception",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# The OpenAPI schema (/api/v1/schema/, committed as docs/openapi.yaml; a test compares them).
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": (
        "The API of one helpdesk, on its own host. Authenticate with a personal token "
        "(Authorization: Bearer hd_..., made under API tokens in the account menu) or, from "
        "the browser, the signed-in session with its CSRF token. Every refusal is "
        '{"code", "detail", "fields"}.'
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    # Choice sets named once: the same field name (status, kind) means different things in
    # different resources, and one choice set (priorities) is used under several field names.
    "ENUM_NAME_OVERRIDES": {
        "PriorityEnum": "desk.priorities.Priority.choices",
        "StatusEnum": "tickets.api.TICKET_STATUSES",
        "EscalationStatusEnum": "escalations.api.REQUEST_STATUSES",
        "DecisionKindEnum": "escalations.api.DECISION_KINDS",
        "BugStatusEnum": "bugs.api.BUG_STATUSES",
        "ArticleStatusEnum": "helpcenter.api.ARTICLE_STATUSES",
        "SurveyStateEnum": "surveys.api.SURVEY_STATES",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
