#!/usr/bin/env python3
"""The "done when" check of `sync --watch` (issue: the sync as a service).

Runs `event-invites sync --watch --interval 2s --listen 127.0.0.1:0` against
the stand-alone fake (`event-invites-fake --control-port 0`), drives it through
the fake's control API only, and checks what an operator would:

  1. accepted guests added in batches are each invited once;
  2. the watch killed with -9 mid-cycle and restarted: nobody twice, nobody lost;
  3. a SecureGate outage: /healthz 200 -> 503 (the process alive) -> 200 once lifted;
  4. /metrics is valid Prometheus text with an invite counter;
  5. no guest's email in the logs; SIGTERM ends it with exit 0 within 10 s.

Usage: checks/watch_service.py BIN_DIR   (where event-invites and
event-invites-fake are built; CI: target/debug). Standard library only;
everything listens on 127.0.0.1.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

FROM = "evt-check"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def request(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def until(what, probe, limit=30.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    fail(f"not within {limit:.0f} s: {what}")


class Lines:
    """A process's stderr, collected line by line."""

    def __init__(self, stream):
        self.lines = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def text(self):
        return "\n".join(self.lines)


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    bins = sys.argv[1]
    fake = subprocess.Popen(
        [os.path.join(bins, "event-invites-fake"), "--control-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        run(bins, json.loads(fake.stdout.readline()))
    finally:
        fake.send_signal(signal.SIGTERM)
        fake.wait(timeout=10)


def run(bins, ports):
    sg, artsvp, control = ports["securegate"], ports["artsvp"], ports["control"]["base_url"]
    to = artsvp["event_ids"][0]
    status, body = request("GET", f"{sg['base_url']}/events/{sg['event_ids'][0]}/invites",
                           headers={"x-api-key": sg["api_key"]})
    template = json.loads(body)[0]
    added = []

    def add_batch(n):
        batch = []
        for _ in range(n):
            i = len(added)
            invite = dict(template, id=f"inv-check-{i}", event_id=FROM,
                          email=f"checked{i}@example.com", status="accepted")
            batch.append(invite)
            added.append(invite["email"])
        code, text = request("POST", f"{control}/securegate/invites",
                             {"event_id": FROM, "invites": batch})
        if code != 201:
            fail(f"adding invites: {code} {text}")

    def held():
        """The emails of this check's guests among the event's ARTSVP invites
        (the fake seeds others), every page."""
        emails, after = [], ""
        while True:
            code, text = request(
                "GET", f"{artsvp['base_url']}/invites?resource_id={to}&limit=100{after}",
                headers={"Authorization": artsvp["api_key"]})
            if code != 200:
                fail(f"listing ARTSVP invites: {code} {text}")
            page = json.loads(text)
            emails += [i.get("email") for i in page["data"] if (i.get("email") or "").startswith("checked")]
            if not page.get("has_more") or not page["data"]:
                return emails
            after = f"&starting_after={page['data'][-1]['id']}"

    journal = os.path.join(tempfile.mkdtemp(prefix="watch-check-"), "sync.journal.sqlite")
    env = dict(os.environ, SECUREGATE_API_KEY=sg["api_key"], SECUREGATE_BASE_URL=sg["base_url"],
               ARTSVP_API_KEY=artsvp["api_key"], ARTSVP_BASE_URL=artsvp["base_url"],
               EVENT_INVITES_QUOTA_STORE="memory")
    logs = []

    def start_watch():
        process = subprocess.Popen(
            [os.path.join(bins, "event-invites"), "sync", "--from-securegate", FROM,
             "--to-artsvp-event", to, "--watch", "--interval", "2s", "--listen", "127.0.0.1:0",
             "--log-format", "json", "--journal", journal],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        lines = Lines(process.stderr)
        logs.append(lines)
        address = until("the watch says where it listens", lambda: next(
            (m.group(1) for m in map(re.compile(r"on http://(\S+)").search, lines.lines) if m),
            None))
        return process, address

    def health(address):
        return request("GET", f"http://{address}/healthz")

    t0 = time.monotonic()
    add_batch(4)
    watch, address = start_watch()
    until("the first batch invited", lambda: len(held()) == 4)
    if health(address)[0] != 200:
        fail(f"/healthz: {health(address)}")
    print(f"batch 1: 4 invited ({time.monotonic() - t0:.1f} s)")

    # Slow creates, a second batch, and kill -9 mid-cycle.
    request("POST", f"{control}/artsvp/faults",
            {"fault": "latency", "ms": 300, "method": "POST", "route": "/invites", "times": "always"})
    add_batch(6)
    until("the second batch under way", lambda: len(held()) >= 6)
    watch.send_signal(signal.SIGKILL)
    watch.wait()
    in_flight = len(held())
    request("DELETE", f"{control}/artsvp/faults")
    watch, address = start_watch()
    until("every guest after the restart", lambda: len(held()) == 10)
    print(f"killed -9 with {in_flight} of 10 held, restarted: 10 held ({time.monotonic() - t0:.1f} s)")

    # A SecureGate outage, then lifted.
    request("POST", f"{control}/securegate/faults", {"fault": "status", "status": 503, "times": "always"})
    text = until("/healthz 503 during the outage", lambda: (lambda r: r[0] == 503 and r[1])(health(address)), 60)
    if watch.poll() is not None:
        fail("the watch ended during the outage")
    print(f"outage: /healthz 503 ({text.strip()}), process alive ({time.monotonic() - t0:.1f} s)")
    request("DELETE", f"{control}/securegate/faults")
    add_batch(2)
    until("/healthz 200 after the outage", lambda: health(address)[0] == 200, 30)
    until("the third batch invited", lambda: len(held()) == 12)
    print(f"lifted: /healthz 200, 12 held ({time.monotonic() - t0:.1f} s)")

    # Metrics: valid Prometheus text, with an invite counter.
    code, metrics = request("GET", f"http://{address}/metrics")
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? -?[0-9.eE+-]+$')
    for line in metrics.splitlines():
        if line and not line.startswith("# ") and not sample.match(line):
            fail(f"not Prometheus text: {line!r}")
    invited = re.search(r'^event_invites_sync_guests_total\{sync="[^"]+",result="invited"\} (\d+)', metrics, re.M)
    if code != 200 or not invited or int(invited.group(1)) < 2:
        fail(f"/metrics {code} without the invite counter:\n{metrics}")
    print(f"/metrics: valid, invited {invited.group(1)} since the restart")

    # SIGTERM: exit 0 within 10 s.
    stopped = time.monotonic()
    watch.send_signal(signal.SIGTERM)
    try:
        code = watch.wait(timeout=10)
    except subprocess.TimeoutExpired:
        fail("no exit within 10 s of SIGTERM")
    if code != 0:
        fail(f"exit {code} on SIGTERM")
    print(f"SIGTERM: exit 0 in {time.monotonic() - stopped:.2f} s")

    emails = held()
    if sorted(emails) != sorted(added) or len(set(emails)) != len(emails):
        fail(f"not every guest exactly once: {len(emails)} held, {len(set(emails))} distinct, {len(added)} added")
    for lines in logs:
        for email in added:
            if email in lines.text():
                fail("a guest's email in the log")
        for line in lines.lines:
            if line.startswith("{"):
                json.loads(line)
    print(f"every guest once ({len(emails)}), no email in the logs: passed in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
