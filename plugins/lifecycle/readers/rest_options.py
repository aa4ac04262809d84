"""What varies between REST APIs, read from a `rest` source's `options` in sources.yml, and
the API's base URL and token from its Airflow connection.

Every option has a default for a HubSpot-like CRM API (v3 objects: `results`, page token in
`paging.next.after`, `updatedAt`, `limit`); each is checked here so a typo fails before any
request with the key named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from lifecycle.config import ConfigError
from lifecycle.readers import ExtractError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from lifecycle.config import SourceConfig, TableConfig

CURSOR_FORMATS = ("iso", "unix", "unix_ms")
HUBSPOT_PAGINATOR = {"type": "cursor", "cursor_path": "paging.next.after", "cursor_param": "after"}


class RestOptionsError(ConfigError, ExtractError):
    """A `rest` source's options or connection are wrong: the task fails at once (an
    ExtractError: retrying cannot help) and it is a configuration error (a ConfigError)."""


@dataclass(frozen=True)
class RestOptions:
    # dlt rest_api paginator configuration (a mapping with `type`, or a type name).
    paginator: Mapping[str, Any] | str = field(default_factory=lambda: dict(HUBSPOT_PAGINATOR))
    data_selector: str = "results"  # where the records are in a page (a JSON path)
    # Where a record's changed-at timestamp is; default: the table's `cursor` column's `from`.
    cursor_path: str | None = None
    cursor_start_param: str = "updatedAfter"  # query parameter: changed at or after
    cursor_end_param: str | None = "updatedBefore"  # changed before; None: API has no end bound
    cursor_format: str = "iso"  # iso | unix | unix_ms: how bounds are sent and cursors read
    page_size: int | None = 100
    page_size_param: str | None = "limit"
    params: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    ignored_fields: frozenset[str] = frozenset()  # delivered, deliberately not loaded
    scalars_as_strings: bool = False  # the API sends numbers and booleans as JSON strings
    max_attempts: int = 5  # tries of one request (the first included) on 429, 5xx, no answer
    backoff_seconds: float = 1.0  # exponential: backoff x 2^n between tries
    max_retry_delay_seconds: float = 300.0  # caps the backoff and a server's Retry-After
    timeout_seconds: float = 60.0

    def cursor_for(self, table: TableConfig) -> str:
        return self.cursor_path or table.column(table.cursor).read_from


def _where(source: SourceConfig, key: str) -> str:
    return f"sources.{source.name}.options.{key}"


def _name(value: Any, where: str, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RestOptionsError(f"{where}: expected a non-empty name, got {value!r}")
    return value


def _number(value: Any, where: str, whole: bool, low: float, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    kinds = (int,) if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < low:
        kind = "a whole number" if whole else "a number"
        raise RestOptionsError(f"{where}: expected {kind} >= {low:g}, got {value!r}")
    return value


def parse_options(source: SourceConfig) -> RestOptions:
    """The source's options over the defaults; an unknown key or a wrong value is an error
    naming `sources.<source>.options.<key>`."""
    given = dict(source.options)
    known = RestOptions.__dataclass_fields__
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        raise RestOptionsError(
            f"sources.{source.name}.options: unknown key(s) {', '.join(map(repr, unknown))}"
            f" (known: {', '.join(known)})"
        )
    out: dict[str, Any] = {}
    for key, value in given.items():
        where = _where(source, key)
        if key == "paginator":
            ok = isinstance(value, str) or (isinstance(value, dict) and "type" in value)
            if not ok:
                raise RestOptionsError(
                    f"{where}: expected a dlt paginator (a mapping with `type`, e.g."
                    f" {HUBSPOT_PAGINATOR}, or a type name), got {value!r}"
                )
            out[key] = value
        elif key in ("data_selector", "cursor_start_param"):
            out[key] = _name(value, where)
        elif key in ("cursor_path", "cursor_end_param", "page_size_param"):
            out[key] = _name(value, where, optional=True)
        elif key == "cursor_format":
            if value not in CURSOR_FORMATS:
                raise RestOptionsError(f"{where}: {value!r} is not one of {CURSOR_FORMATS}")
            out[key] = value
        elif key == "page_size":
            out[key] = _number(value, where, whole=True, low=1, optional=True)
        elif key == "max_attempts":
            out[key] = _number(value, where, whole=True, low=1)
        elif key in ("backoff_seconds", "max_retry_delay_seconds"):
            out[key] = float(_number(value, where, whole=False, low=0))
        elif key == "timeout_seconds":
            out[key] = float(_number(value, where, whole=False, low=0.001))
        elif key == "params":
            scalar = (str, int, float, bool)
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, scalar) for k, v in value.items()
            ):
                raise RestOptionsError(
                    f"{where}: expected a mapping of query parameter -> text or number,"
                    f" got {value!r}"
                )
            out[key] = dict(value)
        elif key == "ignored_fields":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RestOptionsError(f"{where}: expected a list of field paths, got {value!r}")
            out[key] = frozenset(value)
        elif key == "scalars_as_strings":
            if not isinstance(value, bool):
                raise RestOptionsError(f"{where}: expected true or false, got {value!r}")
            out[key] = value
    options = RestOptions(**out)
    reserved = {options.cursor_start_param, options.cursor_end_param, options.page_size_param}
    clash = sorted(p for p in options.params if p in reserved)
    if clash:
        raise RestOptionsError(
            f"{_where(source, 'params')}: {', '.join(clash)} is set by the reader (the cursor"
            " window and page size); remove it from params"
        )
    return options


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # scheme://host[:port]/[base path/], never with credentials
    token: str | None = field(default=None, repr=False)  # sent as `Authorization: Bearer`


def parse_connection(uri: str, conn_id: str) -> Endpoint:
    """An Airflow connection URI -> the API's base URL and token (its password, if any).

    Accepts `https://[:TOKEN@]host[:port][/base/path]` and the two shapes Airflow's own
    HTTP connections take as URIs: `http://host/https` (the scheme in the `schema` field)
    and `http://https://host` (a full URL in the `host` field)."""
    outer = urlsplit(uri)
    rest = uri.split("://", 1)[1] if "://" in uri else ""
    inner = urlsplit(rest) if rest.startswith(("http://", "https://")) else None
    parts = inner or outer
    scheme = parts.scheme
    path = parts.path
    if inner is None and scheme == "http" and path.strip("/") in ("http", "https"):
        scheme, path = path.strip("/"), ""
    if scheme not in ("http", "https") or not parts.hostname:
        raise RestOptionsError(
            f"connection {conn_id!r}: expected an http(s) URL such as"
            f" https://:TOKEN@api.example.com/ (scheme {scheme!r}, host {parts.hostname!r})"
        )
    try:
        port = parts.port
    except ValueError:
        raise RestOptionsError(f"connection {conn_id!r}: the port is not a number") from None
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    base = f"{scheme}://{netloc}/{path.strip('/')}".rstrip("/") + "/"
    token = unquote(parts.password) if parts.password else None
    return Endpoint(base_url=base, token=token)
