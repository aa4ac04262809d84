"""The `rest` kind: one endpoint of a JSON API per table, read with dlt's rest_api source
(pagination, retries with backoff, Retry-After, the changed-since window), without a
pipeline: dlt fetches, this module judges and maps the records (lifecycle.readers.json_records).

The cursor window of delivery day D is [D 00:00 UTC, D+1 00:00 UTC), closed at the start and
open at the end: the records whose cursor (when they last changed, `updatedAt` by default)
falls in it, each in the state the API holds at the time of the pull. The bounds are sent as
query parameters (`updatedAfter`/`updatedBefore` by default) and also enforced on every
record as instants (dlt's incremental over the parsed cursor), so an API that ignores the
filter, or writes its timestamps differently, still yields exactly the window. An API keeps
no history: a record changed again on a later day is delivered on that later day only, so a
nightly run sees every change on its day, while pulling a past day again later gets the
records whose latest change is on that day.

The base URL and token come from the source's Airflow connection (`connection:` in
sources.yml; AIRFLOW_CONN_<ID>): the token is sent as `Authorization: Bearer` and never shown.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from lifecycle.readers import (
    Delivery,
    ExtractError,
    MissingDelivery,
    RunningDigest,
    SourceRecord,
    resolve_connection,
)
from lifecycle.readers.json_records import JsonRecordMapper, lookup
from lifecycle.readers.rest_options import (
    RestOptions,
    RestOptionsError,
    parse_connection,
    parse_options,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from lifecycle.config import SourceConfig, TableConfig
    from lifecycle.readers.rest_options import Endpoint

# Where each record carries its parsed cursor through dlt's incremental (removed after).
CURSOR_FIELD = "_lifecycle_cursor"
ISO_BOUND = "%Y-%m-%dT%H:%M:%S.000Z"
RETRIED = frozenset({429, *range(500, 600)})


def bound_param(instant: datetime, cursor_format: str) -> str | int:
    """A window bound as the API's query parameter takes it."""
    instant = instant.astimezone(UTC)
    if cursor_format == "unix_ms":
        return int(instant.timestamp() * 1000)
    if cursor_format == "unix":
        return int(instant.timestamp())
    return instant.strftime(ISO_BOUND)


def parse_cursor(value: Any, cursor_format: str) -> datetime | None:
    """A record's cursor value as an instant, or None if it is not one: ISO-8601 text with
    an offset, or (cursor_format unix / unix_ms) seconds / milliseconds since 1970."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool) and cursor_format != "iso":
        seconds = value / 1000 if cursor_format == "unix_ms" else value
        return datetime.fromtimestamp(seconds, UTC)
    return None


def _mark_cursor(path: str, cursor_format: str, item: Any) -> Any:
    if isinstance(item, dict):
        instant = parse_cursor(lookup(item, {}, path)[1], cursor_format)
        if instant is not None:
            item[CURSOR_FIELD] = instant
    return item


def _check_page(table: TableConfig, shown: str, selector: str, response: Any) -> Any:
    """A page must hold its records where `data_selector` says, even when there are none:
    an answer without them is an API (or option) that changed, not an empty day."""
    from dlt.common import jsonpath

    if response.status_code < 400 and not jsonpath.find_values(selector, response.json()):
        body = response.json()
        keys = ", ".join(sorted(body)) if isinstance(body, dict) else type(body).__name__
        raise ExtractError(
            f"{table.key}: {shown}: the answer has no {selector!r} (options.data_selector;"
            f" found: {keys}): the API's answers changed or the option is wrong, the source"
            " stops"
        )
    return response


def _resource(
    source: SourceConfig, table: TableConfig, options: RestOptions, endpoint: Endpoint,
    start: datetime, end: datetime, shown: str,
) -> Any:  # fmt: skip
    """dlt's rest_api resource for one endpoint and window (nothing is requested yet)."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    from dlt.sources.helpers.requests import Client
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
    from dlt.sources.rest_api import rest_api_resources

    session = Client(
        raise_for_status=False,
        request_max_attempts=options.max_attempts,
        request_backoff_factor=options.backoff_seconds,
        request_max_retry_delay=options.max_retry_delay_seconds,
        request_timeout=options.timeout_seconds,
    ).session
    params: dict[str, Any] = dict(options.params)
    if options.page_size_param and options.page_size:
        params[options.page_size_param] = options.page_size
    incremental: dict[str, Any] = {
        "cursor_path": CURSOR_FIELD,
        "start_param": options.cursor_start_param,
        "initial_value": start,
        "end_value": end,
        "range_start": "closed",
        "range_end": "open",
        "on_cursor_value_missing": "include",  # judged, with the record named, below
        "convert": partial(bound_param, cursor_format=options.cursor_format),
    }
    if options.cursor_end_param:
        incremental["end_param"] = options.cursor_end_param
    client: dict[str, Any] = {
        "base_url": endpoint.base_url,
        "paginator": options.paginator,
        "session": session,
    }
    if endpoint.token:
        client["auth"] = BearerTokenAuth(endpoint.token)
    mark = partial(_mark_cursor, options.cursor_for(table), options.cursor_format)
    config: Any = {
        "client": client,
        "resources": [
            {
                "name": table.name,
                "endpoint": {
                    "path": table.location.lstrip("/"),
                    "params": params,
                    "data_selector": options.data_selector,
                    "incremental": incremental,
                    "response_actions": [partial(_check_page, table, shown, options.data_selector)],
                },
                # dlt runs maps before the incremental step (placement affinity), so the
                # window is judged on parsed instants, not on the cursor's text.
                "processing_steps": [{"map": mark}],
            }
        ],
    }
    try:
        (resource,) = rest_api_resources(config)
    except Exception as exc:  # noqa: BLE001 - dlt's config validation, in its own words
        raise RestOptionsError(
            f"sources.{source.name}.options: dlt's rest_api rejects the configuration of"
            f" {table.key}: {type(exc).__name__}: {exc}"
        ) from None
    return resource


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    node: BaseException | None = exc
    while node is not None and node not in chain:
        chain.append(node)
        node = node.__cause__ or node.__context__
    return chain


def _failure(exc: BaseException, table: TableConfig, shown: str, options: RestOptions) -> str:
    """A failed pull in words: the endpoint, the last HTTP status or the network error."""
    import requests

    chain = _chain(exc)
    for err in chain:
        if isinstance(err, requests.HTTPError) and err.response is not None:
            response = err.response
            status = response.status_code
            tries = (
                f"kept failing after {options.max_attempts} attempt(s) (options.max_attempts)"
                if status in RETRIED
                else "refused the request (not retried)"
            )
            return (
                f"{table.key}: {shown}: the server {tries}: last status HTTP {status}"
                f" {response.reason}; last request GET {response.url}"
            )
    for err in chain:
        if isinstance(err, requests.RequestException):
            return (
                f"{table.key}: {shown}: no answer from the server after {options.max_attempts}"
                f" attempt(s) (options.max_attempts): {type(err).__name__}: {err}"
            )
    root = chain[-1]
    return f"{table.key}: {shown}: reading the endpoint failed: {type(root).__name__}: {root}"


def _fetched(resource: Any, table: TableConfig, shown: str, options: RestOptions) -> Iterator[Any]:
    try:
        yield from resource
    except Exception as exc:  # noqa: BLE001 - every other way a pull fails is worth a retry
        stop = next((e for e in _chain(exc) if isinstance(e, ExtractError)), None)
        if stop is not None:
            raise ExtractError(str(stop)) from exc
        raise MissingDelivery(_failure(exc, table, shown, options)) from exc


def _records(
    items: Iterable[Any], mapper: JsonRecordMapper, digest: RunningDigest, cursor: str
) -> Iterator[SourceRecord]:
    for line, item in enumerate(items, start=1):
        if isinstance(item, dict) and item.pop(CURSOR_FIELD, None) is None:
            present, value = lookup(item, {}, cursor)
            found = f"{value!r} is not an instant" if present else "is missing"
            raise ExtractError(
                f"{mapper.table.key}: {mapper.shown}: record {line}: its cursor {cursor} {found}"
                " (ISO-8601 with an offset, or options.cursor_format): the changed-since window"
                " cannot be checked, the source stops"
            )
        record = mapper.map(line, item)
        digest.add(record.raw)
        yield record
    mapper.finish()


def open_delivery(source: SourceConfig, table: TableConfig, day: date) -> Delivery:
    """The records of `table`'s endpoint whose cursor lies in [day, day + 1) UTC."""
    options = parse_options(source)
    if not source.connection:  # pragma: no cover - the config loader requires it
        raise RestOptionsError(f"sources.{source.name}: missing key 'connection'")
    endpoint = parse_connection(resolve_connection(source.connection), source.connection)
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    url = endpoint.base_url + table.location.lstrip("/")
    shown = f"{url} [{day.isoformat()}, {(day + timedelta(days=1)).isoformat()})"
    resource = _resource(source, table, options, endpoint, start, end, shown)
    mapper = JsonRecordMapper(table, shown, options.ignored_fields, options.scalars_as_strings)
    digest = RunningDigest()
    return Delivery(
        shown=shown,
        records=_records(
            _fetched(resource, table, shown, options), mapper, digest, options.cursor_for(table)
        ),
        checksum=digest.hexdigest,
        undeclared=mapper.undeclared,
    )
