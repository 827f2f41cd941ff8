#!/usr/bin/env python3
"""The "done when" check of the monitoring (issue: monitoring a team can plug in).

Runs what an operator would, with Debian's `prometheus` package:

  1. `promtool check metrics` on a live /metrics of `serve` with two syncs (clean:
     HELP on every series, counters end in _total, request latency a
     histogram, a build-info series), and every series it shows is listed in
     the guide's metrics table (guide/src/monitor.md);
  2. `promtool check rules` and `promtool test rules` on deploy/prometheus/;
  3. a real Prometheus (its own temp dir, loopback) scraping the service every
     second with the alert rules loaded: no alert pending or firing while the
     syncs are healthy; every query of deploy/grafana/*.json evaluates, and the
     main panels return data; during a SecureGate outage (the stand-alone
     fake's control API) EventInvitesSyncFailing goes pending or firing.

Usage: checks/monitoring.py BIN_DIR   (where event-invites and
event-invites-fake are built; CI: target/debug). Standard library only;
everything listens on 127.0.0.1 and stops by itself.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RULES = os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
RULE_TESTS = os.path.join(ROOT, "deploy", "prometheus", "alerts.test.yml")
DASHBOARDS = os.path.join(ROOT, "deploy", "grafana")
GUIDE = os.path.join(ROOT, "guide", "src", "monitor.md")
# Panels that must show data once the sync has run a few cycles.
MAIN_PANELS = {"Requests by API and status", "Request latency (p50, p90, p99)", "Cycles",
               "Guests", "Quota used and left", "Time since the last finished cycle",
               "Syncs and their state"}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def delete(url):
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=10) as r:
        return r.status


def until(what, probe, limit=60.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        found = probe()
        if found:
            return found
        time.sleep(0.25)
    fail(f"not within {limit:.0f} s: {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name):
    path = shutil.which(name)
    if not path:
        fail(f"{name} is not installed: `apt-get install prometheus` (Debian, Ubuntu) gives "
             "prometheus and promtool")
    return path


def promtool(*args, stdin=None):
    done = subprocess.run([tool("promtool"), *args], input=stdin, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def documented_series():
    """The series names in the guide's metrics table (first column)."""
    with open(GUIDE, encoding="utf-8") as f:
        return set(re.findall(r"^\| `(event_invites_[a-z_]+)`", f.read(), re.M))


def check_metrics(text):
    code, out = promtool("check", "metrics", stdin=text)
    if code != 0:
        fail(f"promtool check metrics exits {code}:\n{out}")
    for wanted in ("# TYPE event_invites_request_duration_seconds histogram",
                   "# TYPE event_invites_sync_cycle_duration_seconds histogram",
                   'event_invites_build_info{version="'):
        if wanted not in text:
            fail(f"/metrics lacks {wanted!r}:\n{text}")
    families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    missing = families - documented_series()
    if missing:
        fail(f"series not in the guide's table ({GUIDE}): {sorted(missing)}")
    print(f"promtool check metrics: clean ({len(families)} families, all in the guide's table)")


def check_rules():
    for args in (("check", "rules", RULES), ("test", "rules", RULE_TESTS)):
        code, out = promtool(*args)
        if code != 0:
            fail(f"promtool {' '.join(args[:2])} exits {code}:\n{out}")
    print("promtool check rules / test rules: passed")


def start_fake(bins):
    fake = subprocess.Popen([os.path.join(bins, "event-invites-fake"), "--control-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return fake, json.loads(fake.stdout.readline())


def start_serve(bins, ports, workdir):
    """`event-invites serve` with two syncs (the fake's first two events of
    each API), a cycle a second."""
    sg, artsvp = ports["securegate"], ports["artsvp"]
    port = free_port()
    env = dict(os.environ, SECUREGATE_API_KEY=sg["api_key"], SECUREGATE_BASE_URL=sg["base_url"],
               ARTSVP_API_KEY=artsvp["api_key"], ARTSVP_BASE_URL=artsvp["base_url"],
               EVENT_INVITES_QUOTA_STORE="memory")
    config = os.path.join(workdir, "season.toml")
    with open(config, "w") as f:
        f.write(f'listen = "127.0.0.1:{port}"\nstate_dir = "state"\nlog_format = "json"\n')
        for name, i in (("gala", 0), ("winter", 1)):
            f.write(f'\n[[sync]]\nname = "{name}"\nfrom_securegate = "{sg["event_ids"][i]}"\n'
                    f'to_artsvp_event = "{artsvp["event_ids"][i]}"\ninterval = "1s"\n')
    service = subprocess.Popen(
        [os.path.join(bins, "event-invites"), "serve", "--config", config],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "serve.log"), "w"))
    address = f"127.0.0.1:{port}"
    until("the service serves /metrics", lambda: get(f"http://{address}/metrics")[0] == 200
          if service.poll() is None else fail("the service exited: see serve.log"), 30)
    return service, address


def start_prometheus(workdir, target):
    port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: event-invites
    static_configs:
      - targets: ["{target}"]
""")
    server = subprocess.Popen(
        [tool("prometheus"), f"--config.file={config}",
         f"--storage.tsdb.path={os.path.join(workdir, 'data')}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "prometheus.log"), "w"))
    base = f"http://127.0.0.1:{port}"
    until("prometheus ready", lambda: get(f"{base}/-/ready")[0] == 200
          if server.poll() is None else fail("prometheus exited: see its log"), 60)
    return server, base


def query(base, expr):
    code, body = get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    answer = json.loads(body)
    if code != 200 or answer.get("status") != "success":
        fail(f"query {expr!r}: {code} {body}")
    return answer["data"]["result"]


def alerts(base):
    return {(a["labels"]["alertname"], a["state"]) for a in json.loads(get(f"{base}/api/v1/alerts")[1])["data"]["alerts"]}


def check_dashboards(base):
    """Every target's query evaluates ($job, $instance, $sync: all; $__rate_interval:
    30s); returns the titles of the panels that returned data."""
    with_data, queries = set(), 0
    for name in sorted(os.listdir(DASHBOARDS)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(DASHBOARDS, name), encoding="utf-8") as f:
            dashboard = json.load(f)
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = (target["expr"].replace("$__rate_interval", "30s")
                        .replace("$job", ".*").replace("$instance", ".*").replace("$sync", ".*"))
                queries += 1
                if query(base, expr):
                    with_data.add(panel["title"])
    return queries, with_data


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    bins = sys.argv[1]
    t0 = time.monotonic()
    check_rules()
    workdir = tempfile.mkdtemp(prefix="monitoring-check-")
    processes = []
    try:
        fake, ports = start_fake(bins)
        processes.append(fake)
        service, address = start_serve(bins, ports, workdir)
        processes.append(service)
        until("two cycles done by each sync", lambda: len(re.findall(
            r'^event_invites_sync_cycles_total\{sync="[a-z]+",result="ok"\} ([2-9]|\d\d)',
            get(f"http://{address}/metrics")[1], re.M)) == 2, 30)
        check_metrics(get(f"http://{address}/metrics")[1])

        server, base = start_prometheus(workdir, address)
        processes.append(server)
        until("the service scraped", lambda: query(base, 'up{job="event-invites"} == 1'))
        until("a few scrapes of cycles", lambda: query(
            base, 'count_over_time(event_invites_sync_cycles_total{result="ok"}[1m]) >= 5'))
        healthy = alerts(base)
        if healthy:
            fail(f"alerts while the syncs are healthy: {sorted(healthy)}")
        queries, with_data = check_dashboards(base)
        if not MAIN_PANELS <= with_data:
            fail(f"main panels without data: {sorted(MAIN_PANELS - with_data)}")
        print(f"healthy: no alert; {queries} dashboard queries evaluate, "
              f"{len(with_data)} panels with data ({time.monotonic() - t0:.1f} s)")

        control = ports["control"]["base_url"]
        post(f"{control}/securegate/faults", {"fault": "status", "status": 503, "times": "always"})
        state = until("EventInvitesSyncFailing pending or firing during the outage", lambda: next(
            (s for (name, s) in alerts(base) if name == "EventInvitesSyncFailing"), None), 90)
        print(f"SecureGate outage: EventInvitesSyncFailing {state} ({time.monotonic() - t0:.1f} s)")
        delete(f"{control}/securegate/faults")
        print(f"passed in {time.monotonic() - t0:.1f} s")
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
