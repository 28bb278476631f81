"""A local stand-in for Slack's Web API: real HTTP on 127.0.0.1, Slack's answers, no network.

It knows the methods aiops-report calls, checks the bearer token, the scopes and the arguments
as Slack does, keeps what it received (`uploads`, `messages`, `calls`, and the messages POSTed
to a request's `response_url`: `responses`) for assertions, and can be told to fail (`fail`):
an error answer, HTTP 429 with Retry-After, HTTP 500, or slowness.

    with SlackServer() as slack:
        settings = Settings(slack_bot_token=TOKEN, slack_api_url=slack.api_url)
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

TOKEN = "xoxb-1111-2222-test-secret-token"
SCOPES = ("files:write", "files:read", "chat:write", "channels:read", "groups:read")
TEAM = {"team": "Acme Korea", "team_id": "T0ACME0001", "url": "https://acme-kr.slack.com/"}
CHANNEL_ID = re.compile(r"[CGDZ][A-Z0-9]{8,}")
BOT = {"user": "aiops-report", "user_id": "U0BOT00001", "bot_id": "B0BOT00001"}


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
            "created": 1700000000,
        }


# Six visible channels, so with two per page #ai-reports is on the second page.
CHANNELS = [
    Channel("C0GENERAL01", "general"),
    Channel("C0RANDOM001", "random"),
    Channel("C0OLDREPORT", "ai-reports-old", is_archived=True),
    Channel("C0TOWNSQR01", "town-square", is_member=False),
    Channel("C0AIREPORTS", "ai-reports"),
    Channel("G0SECRET001", "secret-reports", is_private=True),
    Channel("G0HIDDEN001", "hidden", is_private=True, is_member=False),
    Channel("C0ALERTS001", "alerts"),
]


@dataclass
class UploadedFile:
    """A file from files.getUploadURLExternal on; `shared` once completed into a channel."""

    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    ts: str | None = None
    completed: bool = False


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    fields: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None  # answered as it is, e.g. JSON cut short by a proxy


class SlackError(Exception):
    """Raised by a handler: answered as {"ok": false, "error": ..., **fields}."""

    def __init__(self, error: str, **fields: Any) -> None:
        super().__init__(error)
        self.error = error
        self.fields = fields


Args = dict[str, Any]


class SlackServer:
    """Slack's Web API for one workspace, on http://127.0.0.1:<port>/api/."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        scopes: tuple[str, ...] = SCOPES,
        channels: list[Channel] | None = None,
        page_size: int = 2,
    ) -> None:
        self.token = token
        self.scopes = scopes
        self.channels = {c.id: c for c in (channels or CHANNELS)}
        self.page_size = page_size  # Slack may return fewer than `limit`; this one always does
        self.calls: list[str] = []
        self.arguments: list[tuple[str, Args]] = []
        self.uploads: dict[str, UploadedFile] = {}
        self.messages: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._counter = 0
        self._handlers: dict[str, Callable[[Args], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "files.info": self._files_info,
            "chat.postMessage": self._post_message,
        }
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._http.daemon_threads = True
        self._http.slack = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    @property
    def response_url(self) -> str:
        """A slash command's or a button click's response_url, served here."""
        return f"{self.url}/commands/T0ACME0001/1/abc"

    def __enter__(self) -> SlackServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.shutdown()
        self._http.server_close()

    # --- what the tests set and read ----------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: bytes | None = None,
        **fields: Any,
    ) -> None:
        """Answer the next `times` calls of `method` with this fault instead of normally.

        status 429/500 answer that HTTP status; error answers {"ok": false, "error": error};
        delay alone sleeps, then answers normally (what a slow Slack does); body answers
        those bytes.
        """
        for _ in range(times):
            self._faults[method].append(Fault(status, error, retry_after, delay, fields, body))

    def shared_files(self) -> list[UploadedFile]:
        """The files that completed into a channel."""
        return [f for f in self.uploads.values() if f.completed and f.channel_id]

    def count(self, method: str) -> int:
        return self.calls.count(method)

    # --- one request --------------------------------------------------------------------------

    def answer(
        self, method: str, headers: dict[str, str], args: Args
    ) -> tuple[int, dict[str, str], dict[str, Any] | bytes]:
        """(HTTP status, headers, JSON body or raw bytes) for a Web API call."""
        with self._lock:
            self.calls.append(method)
            self.arguments.append((method, args))
            fault = self._faults[method].popleft() if self._faults[method] else None
        out_headers = {"x-oauth-scopes": ",".join(self.scopes)}
        if fault is not None:
            # Not time.sleep, which tests may replace to skip slack_sdk's retry waits.
            threading.Event().wait(fault.delay)
            if fault.body is not None:
                return fault.status, out_headers, fault.body
            if fault.status != 200:
                if fault.retry_after is not None:
                    out_headers["Retry-After"] = str(fault.retry_after)
                error = fault.error or ("ratelimited" if fault.status == 429 else "fatal_error")
                return fault.status, out_headers, {"ok": False, "error": error}
            if fault.error:
                return 200, out_headers, {"ok": False, "error": fault.error, **fault.fields}
        handler = self._handlers.get(method)
        if handler is None:
            return 404, {}, {"ok": False, "error": "unknown_method"}
        try:
            self._authenticate(headers, args)
            with self._lock:
                body = handler(args)
        except SlackError as exc:
            body = {"ok": False, "error": exc.error, **exc.fields}
        return 200, out_headers, body

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None or upload.completed:
                return False
            upload.data = data
            return True

    def _authenticate(self, headers: dict[str, str], args: Args) -> None:
        bearer = headers.get("authorization", "")
        token = (
            bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else args.get("token")
        )
        if not token:
            raise SlackError("not_authed")
        if token != self.token:
            raise SlackError("invalid_auth")

    def _require(self, *needed: str) -> None:
        for scope in needed:
            if scope not in self.scopes:
                raise SlackError("missing_scope", needed=scope, provided=",".join(self.scopes))

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _channel(self, args: Args, key: str = "channel") -> Channel:
        """The channel named by ID, as the bot can see it (private ones only as a member)."""
        channel = self.channels.get(str(args.get(key, "")))
        if channel is None or (channel.is_private and not channel.is_member):
            raise SlackError("channel_not_found")
        self._require("groups:read" if channel.is_private else "channels:read")
        return channel

    def _file_json(self, upload: UploadedFile) -> dict[str, Any]:
        channel = self.channels.get(upload.channel_id or "")
        shared = upload.completed and channel is not None
        visibility = "private" if channel is not None and channel.is_private else "public"
        return {
            "id": upload.id,
            "name": upload.filename,
            "title": upload.title or upload.filename,
            "mimetype": "application/pdf",
            "filetype": "pdf",
            "size": len(upload.data or b""),
            "user": BOT["user_id"],
            "permalink": f"{TEAM['url']}files/{BOT['user_id']}/{upload.id}/{upload.filename}",
            "url_private": f"https://files.slack.com/files-pri/T0ACME0001-{upload.id}/{upload.filename}",
            "channels": [upload.channel_id] if shared and visibility == "public" else [],
            "groups": [upload.channel_id] if shared and visibility == "private" else [],
            "ims": [],
            "shares": {visibility: {upload.channel_id: [{"ts": upload.ts}]}} if shared else {},
        }

    # --- the methods --------------------------------------------------------------------------

    def _auth_test(self, args: Args) -> dict[str, Any]:
        return {"ok": True, **TEAM, **BOT, "is_enterprise_install": False}

    def _conversations_list(self, args: Args) -> dict[str, Any]:
        types = str(args.get("types", "public_channel")).split(",")
        if "public_channel" in types:
            self._require("channels:read")
        if "private_channel" in types:
            self._require("groups:read")
        exclude_archived = str(args.get("exclude_archived", "false")).lower() in ("1", "true")
        visible = [
            c
            for c in self.channels.values()
            if ("private_channel" if c.is_private else "public_channel") in types
            and (c.is_member or not c.is_private)
            and not (exclude_archived and c.is_archived)
        ]
        start = 0
        if args.get("cursor"):
            try:
                start = int(base64.b64decode(str(args["cursor"])).decode().removeprefix("next:"))
            except ValueError:
                raise SlackError("invalid_cursor") from None
        end = start + min(int(args.get("limit", 100)), self.page_size)
        cursor = base64.b64encode(f"next:{end}".encode()).decode() if end < len(visible) else ""
        return {
            "ok": True,
            "channels": [c.as_json() for c in visible[start:end]],
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_info(self, args: Args) -> dict[str, Any]:
        return {"ok": True, "channel": self._channel(args).as_json()}

    def _get_upload_url(self, args: Args) -> dict[str, Any]:
        self._require("files:write")
        filename, length = args.get("filename"), str(args.get("length", ""))
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F0FILE{self._next():05d}"
        self.uploads[file_id] = UploadedFile(file_id, str(filename), int(length))
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: Args) -> dict[str, Any]:
        self._require("files:write")
        try:
            items = json.loads(str(args.get("files", "")))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        uploads = [self.uploads.get(str(item.get("id"))) for item in items]
        if not uploads or any(u is None or u.data is None for u in uploads):
            raise SlackError("file_not_found")
        channel_id = args.get("channel_id")
        if channel_id is not None:
            if not CHANNEL_ID.fullmatch(str(channel_id)):
                raise SlackError("invalid_arguments")  # Slack: ^[CGDZ][A-Z0-9]{8,}$
            if not self._channel(args, "channel_id").is_member:
                raise SlackError("not_in_channel")
        for item, upload in zip(items, uploads, strict=True):
            assert upload is not None
            upload.title = item.get("title")
            upload.channel_id = channel_id
            upload.initial_comment = args.get("initial_comment")
            upload.ts = f"{1700000000 + self._next()}.000100"
            upload.completed = True
        return {"ok": True, "files": [self._file_json(u) for u in uploads if u is not None]}

    def _files_info(self, args: Args) -> dict[str, Any]:
        self._require("files:read")
        upload = self.uploads.get(str(args.get("file", "")))
        if upload is None or not upload.completed:
            raise SlackError("file_not_found")
        return {"ok": True, "file": self._file_json(upload)}

    def _post_message(self, args: Args) -> dict[str, Any]:
        self._require("chat:write")
        name = str(args.get("channel", "")).removeprefix("#")
        by_name = {c.name: c.id for c in self.channels.values()}
        channel = self._channel({"channel": by_name.get(name, name)})
        if not channel.is_member:
            raise SlackError("not_in_channel")
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        ts = f"{1700000000 + self._next()}.000200"
        message = {"channel": channel.id, "ts": ts, "text": args.get("text"), **args}
        self.messages.append(message)
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}


class _RequestHandler(BaseHTTPRequestHandler):
    """POST /api/<method> (form or JSON body), POST /upload/<file id> (the bytes) and POST
    /commands/… (a response_url's JSON message)."""

    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        slack: SlackServer = self.server.slack  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/commands/"):  # a response_url: Slack answers "ok"
            with slack._lock:
                slack.responses.append(json.loads(body))
            self._send(200, {"Content-Type": "text/html"}, b"ok")
            return
        if url.path.startswith("/upload/"):
            if slack.receive_upload(url.path.removeprefix("/upload/"), body):
                self._send(200, {"Content-Type": "text/plain"}, f"OK - {len(body)}".encode())
            else:
                self._send(404, {"Content-Type": "text/plain"}, b"Not Found")
            return
        args: Args = dict(parse_qsl(url.query))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            args.update(json.loads(body or b"{}"))
        else:
            args.update(parse_qsl(body.decode()))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, answer = slack.answer(url.path.removeprefix("/api/"), headers, args)
        payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self._send(
            status, {"Content-Type": "application/json; charset=utf-8", **out_headers}, payload
        )

    do_GET = do_POST

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a slow-response test)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@pytest.fixture(name="slack_server")
def slack_server_fixture() -> Iterator[SlackServer]:
    """`slack_server`: a running SlackServer with the default workspace, stopped after the test.

    To use it in other test modules: `from slack_server import slack_server_fixture` there,
    or once in conftest.py.
    """
    with SlackServer() as server:
        yield server
