#!/usr/bin/env bash
# Peak memory per request with the largest records the ingest accepts (SQLite).
#
#   bench/peak-rss.sh            # builds the release `vigil`; VIGIL_BIN=path uses another
#
# A fresh database in a temporary directory gets three accounts of records at the limits
# (server/src/api/record.rs, strict_json.rs, the 32 MiB body limit):
#   acme-prod      threads of 6 MiB: a 4 MiB transcript, a 1 MiB latest message and
#                  1 MiB of metadata nested to the deepest level allowed; 5 per request
#   acme-research  admin actions whose old and new values fill a whole 32 MiB body with
#                  small values nested 32 deep (what decodes into the most memory)
#   acme-support   3,000 jobs of 64 KiB, enough for full pages of every size
# then runs each operation on a freshly started server and reads its VmRSS and VmHWM
# (/proc/PID/status; the peak is reset through clear_refs before the operation).
# Operations whose peak, extrapolated from the smaller ones, would pass RSS_BUDGET_GIB
# (default 8) are not run; the server also runs under an address-space cap (budget +
# 4 GiB), so one that misjudges aborts the server instead of the machine.
#
# Sizes: TEXT_RECORDS (200), DENSE_RECORDS (8), MEDIUM_RECORDS (3000). KEEP=1 keeps the
# database directory. Needs python3 and about 3 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vigil-target}
bin=${VIGIL_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked -p server --bin vigil >&2
  bin=$CARGO_TARGET_DIR/release/vigil
fi
work=$(mktemp -d /tmp/vigil-rss.XXXXXX)
if [ "${KEEP:-}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi
db="sqlite:$work/rss.db"
password=peak-rss-password

# No command creates a bare tenant: `seed --events 0` makes the demo tenants and
# accounts (and demo users) without records; the key and the user are the CLI's.
RUST_LOG=warn "$bin" --database-url "$db" seed --events 0 >/dev/null
key=$(RUST_LOG=warn "$bin" --database-url "$db" key create --tenant acme --name peak-rss 2>/dev/null)
VIGIL_PASSWORD=$password RUST_LOG=warn "$bin" --database-url "$db" user create \
  --tenant acme --role tenant_admin --email rss@acme.test >/dev/null 2>&1
# Server functions' URLs end in a hash of where they were built: read them from the binary.
fn_path() { grep -aom1 "/api/$1[0-9]*" "$bin" || { echo "no $1 in $bin" >&2; exit 1; }; }

export BIN=$bin DB=$db WORK=$work KEY=$key PASSWORD=$password
export LIST_PATH=$(fn_path list_records) POLL_PATH=$(fn_path poll_records)
if [ -z "${VIGIL_BIN:-}" ]; then
  export BUILT="built from $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' + changes')"
else
  export BUILT="given"
fi
python3 - <<'PY'
import http.client, json, os, re, socket, subprocess, sys, threading, time, urllib.parse

BIN, DB, WORK, KEY = (os.environ[k] for k in ("BIN", "DB", "WORK", "KEY"))
BUDGET = float(os.environ.get("RSS_BUDGET_GIB", "8")) * 2**30
TEXT_RECORDS = int(os.environ.get("TEXT_RECORDS", "200"))
DENSE_RECORDS = int(os.environ.get("DENSE_RECORDS", "8"))
MEDIUM_RECORDS = int(os.environ.get("MEDIUM_RECORDS", "3000"))
BODY_LIMIT = 32 << 20  # Config::default().body_limit
LONG = 1 << 20  # LONG_MAX in server/src/api/record.rs
MAX_DEPTH = 32  # strict_json::MAX_DEPTH, the body's own array and objects included
GIB, MIB = 2**30, 2**20


def out(line=""):
    print(line, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """`vigil serve` on the database, restarted before each operation."""

    def __init__(self):
        self.proc = None
        self.log = open(os.path.join(WORK, "server.log"), "ab")

    def start(self):
        self.port = free_port()
        cap_kib = int((BUDGET + 4 * GIB) / 1024)
        cmd = (f'ulimit -v {cap_kib}; exec "$BIN" --database-url "$DB" serve '
               f'--addr 127.0.0.1:{self.port} --site-root "$WORK"')
        env = dict(os.environ, RUST_LOG="warn")
        self.proc = subprocess.Popen(["bash", "-c", cmd], env=env, stdout=self.log, stderr=self.log)
        for _ in range(600):
            try:
                if request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("the server did not start: see server.log")
        status, _, headers = request("POST", "/auth/login", urllib.parse.urlencode(
            {"email": "rss@acme.test", "password": os.environ["PASSWORD"]}).encode(),
            {"content-type": "application/x-www-form-urlencoded"}, keep_headers=True)
        self.cookie = headers["set-cookie"].split(";")[0]
        time.sleep(0.5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def restart(self):
        self.stop()
        self.start()

    def alive(self):
        return self.proc.poll() is None

    def status(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f)
        return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM")}

    def reset_peak(self):
        # "5" resets VmHWM to the current RSS (Linux 4.0+).
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")


SERVER = Server()


def request(method, path, body=None, headers=None, count=None, keep_headers=False):
    """Status, bytes received and how often `count` occurs: the body is streamed and
    dropped, so the client holds none of it."""
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=1800)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    size, found, tail = 0, (0 if count else None), b""
    while chunk := r.read(4 * MIB):
        size += len(chunk)
        if count:
            seen = tail + chunk
            found += seen.count(count)
            tail = seen[-(len(count) - 1):]
    conn.close()
    if keep_headers:
        return r.status, size, {k.lower(): v for k, v in r.getheaders()}
    return r.status, size, found


def api(method, path, body=None, count=b'"tenant_id":"acme"'):
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    return request(method, path, body, headers, count)


def console(path, payload):
    headers = {"cookie": SERVER.cookie, "content-type": "application/json"}
    return request("POST", path, json.dumps(payload).encode(), headers, b'"tenant_id":"acme"')


def nested(depth, inner):
    """`inner` inside `depth` levels of single-key objects."""
    return '{"a":' * depth + inner + "}" * depth


def thread_record(i):
    # Sizes are the checks' bounds: content + role per message, 4 MiB in all.
    roles = ["user", "assistant", "user", "assistant"]
    transcript = ",".join(
        json.dumps({"role": r, "content": chr(ord("a") + n) * (LONG - len(r))})
        for n, r in enumerate(roles))
    # metadata sits at depth 3 in a batch ([ record { metadata {): 29 more levels.
    inner = '{"note":"' + "m" * (LONG - 1000) + '"}'
    return ('{"kind":"thread","account_id":"acme-prod","thread_id":"thr_%d","source":"app",'
            '"type":"chat","agent":"peak-rss","message_count":4,"latest_message":"%s",'
            '"transcript":[%s],"metadata":%s}' % (i, "l" * LONG, transcript,
                                                  nested(MAX_DEPTH - 3, inner)))


def dense_record(i):
    # A single record: the object is depth 1, each value's arrays depths 2 to 32; the
    # values are zeros, two bytes each on the wire and a whole JSON value in memory.
    head = ('{"kind":"admin_action","account_id":"acme-research","actor":"peak-rss",'
            '"action":"update","resource_type":"settings","resource_id":"r%d",'
            '"event_name":"Settings updated","old_value":' % i)
    arrays = MAX_DEPTH - 1
    room = BODY_LIMIT - len(head) - len(',"new_value":}') - 4 * arrays - 64
    zeros = room // 4
    value = "[" * arrays + ",".join("0" * zeros) + "]" * arrays
    return (head + value + ',"new_value":' + value + "}").encode()


def medium_record(i):
    meta = nested(8, '{"trace":"' + "t" * 8192 + '"}')
    return ('{"kind":"job","account_id":"acme-support","job_id":"job_%d","status":"complete",'
            '"agent":"peak-rss","model":"gpt-4o","job_type":"agent.run","prompt":"%s",'
            '"response":"%s","error":"%s","metadata":%s}'
            % (i, "p" * 24576, "r" * 24576, "e" * 8192, meta))


def human(n):
    if n is None:
        return "–"
    return f"{n / GIB:.2f} GiB" if abs(n) >= GIB else f"{n / MIB:.0f} MiB"


def row(name, records, result, seconds, before, peak, after, note=""):
    delta = None if peak is None or before is None else peak - before
    out(f"| {name} | {records} | {result} | {'–' if seconds is None else f'{seconds:.2f} s'} | "
        f"{human(before)} | {human(peak)} | {human(delta)} | {human(after)} | {note} |")


def measure(name, records, action, note=""):
    """Runs `action` on a fresh server; returns the peak's growth over the start."""
    SERVER.restart()
    before = SERVER.status()["VmRSS"]
    SERVER.reset_peak()
    t0 = time.monotonic()
    try:
        result = action()
    except Exception as e:  # a dropped connection: the server aborted
        result = f"failed: {type(e).__name__}"
    seconds = time.monotonic() - t0
    if not SERVER.alive():
        row(name, records, result, seconds, before, None, None,
            f"server aborted (address-space cap {human(BUDGET + 4 * GIB)})")
        return None
    peak = SERVER.status()["VmHWM"]
    time.sleep(1)
    after = SERVER.status()["VmRSS"]
    row(name, records, result, seconds, before, peak, after, note)
    return peak - before


def skipped(name, records, predicted):
    row(name, records, "not run", None, None, None, None,
        f"predicted peak {human(predicted)} > budget {human(BUDGET)}")


def got(status, size, found=None):
    text = f"{status}, {human(size)}" if size else str(status)
    return text + (f", {found} records" if found is not None else "")


def ladder(name, counts, fetch):
    """`fetch(n)` for growing n while the peak extrapolated from the last run (with a
    quarter to spare) stays in the budget; returns the last run's growth per record."""
    per_record = None
    for n in sorted(set(counts)):
        predicted = None if per_record is None else SERVER_BASE + 1.25 * per_record * n
        if predicted is not None and predicted > BUDGET:
            skipped(name(n), n, predicted)
            continue
        answer = {}

        def run():
            answer["r"] = fetch(n)
            return got(*answer["r"])

        delta = measure(name(n), n, run)
        if delta is None:
            break
        found = answer.get("r", (0, 0, 0))[2]
        if found:
            per_record = delta / found
    return per_record


def post(body):
    status, _, _ = api("POST", "/api/v1/events", body, count=None)
    if status != 201:
        sys.exit(f"ingest answered {status}: see {WORK}/server.log")
    return status


def fill(name, records, per_request, body_of):
    """The first request measured alone on a fresh server, then the rest one at a time."""
    sizes = [min(per_request, records - i) for i in range(0, records, per_request)]
    first = body_of(0, sizes[0])
    measure(f"ingest one request of {human(len(first))}: {sizes[0]} {name}", sizes[0],
            lambda: str(post(first)))
    SERVER.reset_peak()
    t0, sent = time.monotonic(), 0
    for i, n in enumerate(sizes[1:], 1):
        body = body_of(i * per_request, n)
        sent += len(body)
        post(body)
    if len(sizes) > 1:
        status = SERVER.status()
        row(f"ingest the other {len(sizes) - 1} requests ({human(sent)}), one at a time",
            sum(sizes[1:]), "201", time.monotonic() - t0, None, status["VmHWM"], status["VmRSS"],
            "after the first, on the same server")


def concurrent(n, action):
    results = [None] * n

    def run(i):
        results[i] = action()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got(*results[0]) + (f" (×{n})" if n > 1 else "")


def pull(account, n):
    return api("GET", f"/api/v1/events?account_id={account}&limit={n}")


def export(account, fmt):
    pattern = b'"tenant_id":"acme"' if fmt == "json" else b",acme,acme-"
    return lambda: got(*api("GET", f"/api/v1/export?account_id={account}&format={fmt}",
                            count=pattern))


def one_id(account):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=600)
    conn.request("GET", f"/api/v1/events?account_id={account}&limit=1",
                 headers={"authorization": f"Bearer {KEY}"})
    page = json.loads(conn.getresponse().read())
    return page["events"][0]["id"]


# --- the run ---------------------------------------------------------------------------

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal"))
out(f"# Peak memory per request, {time.strftime('%Y-%m-%d %H:%M')} UTC")
out(f"machine: {os.cpu_count()} cores ({cpu}), {human(mem)}; vigil {BIN} ({os.environ['BUILT']}); "
    f"SQLite; budget {human(BUDGET)}")
out(f"records: {MEDIUM_RECORDS} jobs of 64 KiB (acme-support), {TEXT_RECORDS} threads of 6 MiB "
    f"(acme-prod), {DENSE_RECORDS} admin actions of 32 MiB of nested zeros (acme-research)")
out()
out("| operation | records | answer | time | RSS before | peak RSS | peak − before | RSS 1 s after | note |")
out("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")

SERVER.start()
SERVER_BASE = SERVER.status()["VmRSS"]
measure("idle server (baseline)", 0, lambda: "–")

batch = lambda record, first, n: ("[" + ",".join(record(first + j) for j in range(n)) + "]").encode()
fill("64 KiB jobs", MEDIUM_RECORDS, 400, lambda i, n: batch(medium_record, i, n))
fill("6 MiB threads", TEXT_RECORDS, 5, lambda i, n: batch(thread_record, i, n))
half = DENSE_RECORDS // 2
fill("32 MiB admin action", DENSE_RECORDS - half, 1, lambda i, n: dense_record(i))
measure(f"ingest {half} requests of 32 MiB admin values at once", half,
        lambda: concurrent(half, lambda: (post(dense_record(99)), 0, None)))

# 64 KiB jobs: every page at its full size.
acc = "acme-support"
measure("pull limit=1000, 64 KiB jobs", 1000, lambda: got(*pull(acc, 1000)))
measure("pull after_seq=0 limit=1000, 64 KiB jobs", 1000,
        lambda: got(*api("GET", f"/api/v1/events?account_id={acc}&after_seq=0&limit=1000")))
measure("4 concurrent pulls limit=1000, 64 KiB jobs", 4000,
        lambda: concurrent(4, lambda: pull(acc, 1000)))
measure(f"export CSV, {MEDIUM_RECORDS} × 64 KiB jobs", MEDIUM_RECORDS, export(acc, "csv"))
measure(f"export JSON, {MEDIUM_RECORDS} × 64 KiB jobs", MEDIUM_RECORDS, export(acc, "json"))
measure("console page (50), 64 KiB jobs", 50,
        lambda: got(*console(os.environ["LIST_PATH"], {"query": {"account": acc}, "cursor": None})))
measure("Live poll (100), 64 KiB jobs", 100,
        lambda: got(*console(os.environ["POLL_PATH"], {"query": {"account": acc}, "after_seq": 0})))

# 6 MiB threads.
acc = "acme-prod"
text = ladder(lambda n: f"pull limit={n}, 6 MiB threads", [1, 10, 50, 100, 200],
              lambda n: pull(acc, n))
measure("console page (50), 6 MiB threads", 50,
        lambda: got(*console(os.environ["LIST_PATH"], {"query": {"account": acc}, "cursor": None})))
measure("Live poll (100), 6 MiB threads", 100,
        lambda: got(*console(os.environ["POLL_PATH"], {"query": {"account": acc}, "after_seq": 0})))
measure(f"export JSON, {TEXT_RECORDS} × 6 MiB threads", TEXT_RECORDS, export(acc, "json"))
measure(f"export CSV, {TEXT_RECORDS} × 6 MiB threads", TEXT_RECORDS, export(acc, "csv"))

# 32 MiB of nested zeros per admin action.
acc = "acme-research"
SERVER.restart()
dense_id = one_id(acc)
one = measure("get one by id, 32 MiB admin values", 1,
              lambda: got(*api("GET", f"/api/v1/events/{dense_id}")))
dense = ladder(lambda n: f"pull limit={n}, 32 MiB admin values", [1, 2, 4, DENSE_RECORDS],
               lambda n: pull(acc, n))
for name, path, payload in [
        ("console page (50)", os.environ["LIST_PATH"], {"query": {"account": acc}, "cursor": None}),
        ("Live poll (100)", os.environ["POLL_PATH"], {"query": {"account": acc}, "after_seq": 0})]:
    # Console pages decode each record as getting one by id does.
    predicted = SERVER_BASE + 1.25 * (one or 0) * DENSE_RECORDS
    if predicted > BUDGET:
        skipped(f"{name}, 32 MiB admin values", DENSE_RECORDS, predicted)
    else:
        measure(f"{name}, 32 MiB admin values", DENSE_RECORDS,
                lambda: got(*console(path, payload)))
measure(f"export JSON, {DENSE_RECORDS} × 32 MiB admin values", DENSE_RECORDS, export(acc, "json"))
measure(f"export CSV, {DENSE_RECORDS} × 32 MiB admin values", DENSE_RECORDS, export(acc, "csv"))
SERVER.stop()

out()
out(f"database: {human(os.path.getsize(DB.removeprefix('sqlite:')))}")
# What failed, as the server logged it (once per message, without the time).
errors = {}
with open(os.path.join(WORK, "server.log"), errors="replace") as f:
    for line in f:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)  # the log's colours
        if " ERROR " in line:
            message = line.split(" ERROR ", 1)[1].strip()[:300]
            errors[message] = errors.get(message, 0) + 1
for message, n in errors.items():
    out(f"server error ×{n}: {message}")
out("Extrapolated: the growth per record returned of the largest run, times a page.")
for name, per, pages in [
        ("pull, 6 MiB threads", text, [("a pull", 1000)]),
        ("pull, 32 MiB admin values", dense, [("a pull", 1000)]),
        ("get by id, 32 MiB admin values (console pages decode each record alike)", one,
         [("a Live poll", 100), ("a console page", 50)])]:
    if per:
        out(f"- {name}: {human(per)} per record; "
            + ", ".join(f"{what} of {n:,} ~{human(per * n)}" for what, n in pages))
PY
