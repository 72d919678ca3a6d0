"""Feeds served from 127.0.0.1: a Google Alerts style Atom feed with ETag and Last-Modified, answering 304 when unchanged."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from tests.fakes.server import FakeServer, Reply, Request, Trickles

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
<id>tag:google.com,2005:reference:feed:06848287318117306432</id>
<title>Google Alert - &quot;Bramble Café&quot;</title>
<link href="https://www.google.com/alerts/feeds/06848287318117306432/1425571133587" rel="self"></link>
<updated>{updated}</updated>
{entries}
</feed>"""
ENTRY = """<entry>
<id>tag:google.com,2013:googlealerts/feed:{id}</id>
<title type="html">{title}</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url={url}&amp;ct=ga&amp;cd=CAEYACoTMjk&amp;usg=AOvVaw3"></link>
<published>{published}</published>
<updated>{published}</updated>
<content type="html">{content}</content>
<author><name></name></author>
</entry>"""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeFeeds(Trickles, FakeServer):
    """`/alerts.atom` is the alert feed; `/broken.xml` serves whatever `broken` holds."""

    def __init__(self):
        super().__init__()
        self.entries: list[dict] = []
        self.broken = "<html><body><h1>Welcome to our shop</h1><p>Not a feed"
        self.changed = datetime.now(UTC)
        self._next = 9000

    def alert(self, title: str, content: str = "", minutes_ago: int = 30, path: str = "news/bramble") -> dict:
        self._next += 1
        entry = {
            "id": str(self._next),
            "title": escape(title),
            "content": escape(content),
            "url": f"https://localnews.example/{path}-{self._next}",
            "published": _stamp(datetime.now(UTC) - timedelta(minutes=minutes_ago)),
        }
        self.entries.append(entry)
        self.changed = datetime.now(UTC)
        return entry

    def answer(self, request: Request) -> Reply:
        if request.path == "/broken.xml":
            return Reply(200, self.broken, {"Content-Type": "text/html; charset=utf-8"})
        if request.path != "/alerts.atom":
            return Reply(404, "Not Found", {"Content-Type": "text/plain"})
        body = ATOM.format(
            updated=_stamp(self.changed), entries="\n".join(ENTRY.format(**e) for e in reversed(self.entries))
        )
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        modified = format_datetime(self.changed.replace(microsecond=0), usegmt=True)
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, b"", {"ETag": etag})
        return Reply(
            200, body, {"Content-Type": "application/atom+xml; charset=utf-8", "ETag": etag, "Last-Modified": modified}
        )
