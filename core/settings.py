"""Typed settings, loaded once from the environment (prefix ESCR_, nesting with __)."""

from __future__ import annotations

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.files import private_folder


def _default_home() -> Path:
    return Path(os.environ.get("ESCR_HOME", "./var")).resolve()


class DatabaseSettings(BaseModel):
    # Empty means the embedded SQLite catalog under ESCR_HOME.
    url: str = ""


class StorageSettings(BaseModel):
    backend: Literal["local", "s3"] = "local"
    root: str = ""  # local backend: empty means ESCR_HOME/blobs
    endpoint: str = "127.0.0.1:9000"
    access_key: str = ""
    secret_key: str = ""
    bucket: str = "escr"
    secure: bool = False
    object_lock: bool = True


class IndexSettings(BaseModel):
    backend: Literal["embedded", "opensearch"] = "embedded"
    path: str = ""  # embedded backend: empty means ESCR_HOME/index (a tantivy directory)
    hosts: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:9200"])
    alias: str = "escr-documents"


class BrokerSettings(BaseModel):
    url: str = "amqp://guest:guest@127.0.0.1:5672//"
    # Queue names are "<prefix>.default" and "<prefix>.ocr"; tests give each run its own.
    queue_prefix: str = "escr"


class OcrSettings(BaseModel):
    language: str = "eng"
    page_timeout_s: float = 60.0
    dpi: int = 200
    # A scanned PDF's or TIFF's pages are OCRed in jobs (Celery: tasks) of at most this many
    # pages, so that none runs near the sandbox's time limit or the broker's redelivery timeout
    # (about 2 s a page), and the pages of one long scan are read on every core.
    pages_per_task: int = Field(default=10, ge=1)


class RenderSettings(BaseModel):
    """Renditions (docs/decisions/0027): a stage of their own, run by `escr render`, by the
    Celery render queue, or after a load's documents are indexed where this says so."""

    after_load: bool = False


class SandboxSettings(BaseModel):
    """Limits for the child processes that parse untrusted files."""

    timeout_s: float = 120.0
    memory_mb: int = 1024
    max_image_pixels: int = 100_000_000
    max_text_chars: int = 5_000_000


class OfficeSettings(BaseModel):
    """The warm LibreOffice servers that read legacy office files (workers/convert)."""

    # How many LibreOffice processes one escr process keeps warm, at most (each converts one
    # file at a time; started on first need). 0: one per core, at most 2.
    servers: int = Field(default=0, ge=0)
    # RLIMIT_AS of each LibreOffice process group; an idle soffice.bin maps about 0.7 GB.
    memory_mb: int = 2048
    # Debian's interpreter, which has the `uno` module (python3-uno); unoserver runs under it.
    python: str = "/usr/bin/python3"
    soffice: str = "soffice"
    start_timeout_s: float = 60.0


class LinkSettings(BaseModel):
    # Person matching after the crosswalk (docs/decisions/0031): the subject check that
    # withholds misfiled documents and Splink's probable matches. Off: the crosswalk alone,
    # vetoed by NHS numbers (the linker before issue 14, kept to measure against).
    matching: bool = True


class SarSettings(BaseModel):
    # Subject access (issue 15). The council's own closure days (e.g. "2025-12-29"), on top of
    # the England and Wales bank holidays, that a due date is moved past
    # (ESCR_SAR__CLOSURE_DAYS='["2025-12-29"]').
    closure_days: list[date] = Field(default_factory=list)
    # "Due soon": due within this many days (records/sar.due_soon).
    due_soon_days: int = Field(default=7, ge=0, le=366)
    # The exemption codes a redaction may carry (records/sar_exemptions.yaml's shape); empty:
    # the built-in list (ESCR_SAR__EXEMPTIONS_FILE=/etc/escr/exemptions.yaml).
    exemptions_file: str = ""
    # Page images of a bundle: rasterised at this resolution (the gate's OCR reads them).
    bundle_dpi: int = Field(default=200, ge=100, le=400)
    # Redaction suggestions (domain/redaction_suggest.py): the exemption code they carry, the
    # council's email domains (its staff's emails are not suggested), staff names beyond the
    # users' display names, and the role words that mark a professional acting in role (empty:
    # the built-in list). ESCR_SAR__COUNCIL_DOMAINS='["synthshire.gov.uk"]'.
    suggest_code: str = "Sch2 Pt3 third party"
    council_domains: list[str] = Field(default_factory=list)
    staff_names: list[str] = Field(default_factory=list)
    role_words: list[str] = Field(default_factory=list)


class WebhookSettings(BaseModel):
    """Signed webhooks to the systems that call escr (workers/webhooks.py, decision 0038)."""

    # thread: a supervised thread of `escr serve` sends them (embedded); celery: the
    # `escr.deliver_webhooks` task on the workers (scale-out); off: nothing sends (they wait).
    delivery: Literal["thread", "celery", "off"] = "thread"
    poll_s: float = Field(default=5.0, gt=0)  # how often the sender looks when not woken
    timeout_s: float = Field(default=10.0, gt=0)  # one POST's connect and read limit
    # Retries: after attempt n the next waits backoff_base_s * 2**(n-1) (at most
    # backoff_max_s), +-20% jitter; after max_attempts the delivery is given up (`failed`,
    # sent again by `escr webhooks redeliver`). 80: doubling up to an hour, then hourly, about
    # three days in all, so a receiver down over a weekend still hears of everything.
    backoff_base_s: float = Field(default=10.0, gt=0)
    backoff_max_s: float = Field(default=3600.0, gt=0)
    max_attempts: int = Field(default=80, ge=1)


class IntakeSettings(BaseModel):
    """Documents a case management system stores through the API (workers/intake.py)."""

    # embedded: a thread of the serving process runs each upload (escr serve alone);
    # celery: uploads are queued to the Celery workers like a load's rows (scale-out).
    runner: Literal["embedded", "celery"] = "embedded"
    max_mb: int = Field(default=100, ge=1)  # an upload's largest file (413 past it)
    workers: int = Field(default=2, ge=1)  # sandbox children of the embedded runner


class ApiSettings(BaseModel):
    token: str = "dev-token"
    environment: Literal["development", "production"] = "development"
    # The address the council's users reach escr at (https://escr.council.example): deep links
    # handed to other systems are made absolute with it; empty: the request's own address.
    public_url: str = ""

    @model_validator(mode="after")
    def _refuse_placeholder_in_production(self) -> ApiSettings:
        if self.environment == "production" and self.token in {"", "dev-token", "changeme"}:
            raise ValueError("ESCR_API__TOKEN must be set to a real secret in production")
        return self


class AuthSettings(BaseModel):
    """OpenID Connect bearer tokens (e.g. Entra ID) and local web sessions (records/access.py).

    OIDC is off while `issuer` is empty; the static API token then is the only bearer.
    """

    issuer: str = ""
    audience: str = ""
    jwks_url: str = ""  # fetched and cached; or jwks_path, a local file (tests, air-gapped)
    jwks_path: str = ""
    algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    roles_claim: str = "roles"
    teams_claim: str = "groups"
    username_claim: str = "preferred_username"
    leeway_s: int = 30
    session_hours: float = 8.0
    cookie_secure: bool = False  # set true behind HTTPS
    break_glass_minutes: int = 60
    break_glass_max_minutes: int = 480

    @model_validator(mode="after")
    def _keys_named(self) -> AuthSettings:
        if self.issuer and not (self.jwks_url or self.jwks_path):
            raise ValueError("ESCR_AUTH__ISSUER needs ESCR_AUTH__JWKS_URL or __JWKS_PATH")
        if self.issuer and not self.audience:
            raise ValueError("ESCR_AUTH__ISSUER needs ESCR_AUTH__AUDIENCE")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESCR_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    broker: BrokerSettings = Field(default_factory=BrokerSettings)
    ocr: OcrSettings = Field(default_factory=OcrSettings)
    render: RenderSettings = Field(default_factory=RenderSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    office: OfficeSettings = Field(default_factory=OfficeSettings)
    link: LinkSettings = Field(default_factory=LinkSettings)
    sar: SarSettings = Field(default_factory=SarSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.home / 'catalog.sqlite'}"

    @property
    def session_cookie_secure(self) -> bool:
        """Production always sends the session cookie over HTTPS only, whatever cookie_secure
        says: a forgotten flag must not leak a session over plain HTTP."""
        return self.auth.cookie_secure or self.api.environment == "production"

    @property
    def blob_root(self) -> Path:
        return Path(self.storage.root) if self.storage.root else self.home / "blobs"

    @property
    def index_path(self) -> Path:
        return Path(self.index.path) if self.index.path else self.home / "index"

    @property
    def tmp_dir(self) -> Path:
        return self.home / "tmp"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    settings = Settings()
    private_folder(settings.home)  # the catalog, blobs, index and keys: ours alone
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    return settings
