#!/usr/bin/env bash
# Peak memory per request with the largest records the ingest accepts (SQLite).
#
#   bench/peak-rss.sh            # builds the release `vigil`; VIGIL_BIN=path uses another
#
# A fresh database in a temporary directory gets three accounts of records at the limits
# (server/src/api/record.rs, strict_json.rs, the 32 MiB body limit, 1,000 per batch):
#   acme-prod      threads of 6 MiB: a 4 MiB transcript, a 1 MiB latest message and
#                  1 MiB of metadata nested to the deepest level allowed; 5 per request
#   acme-research  admin actions whose old and new values are each just under 1 MiB of
#                  JSON (the most a value may be) of zeros nested to the deepest level
#                  allowed: what decodes into the most memory; 16 such records fill a
#                  32 MiB body
#   acme-support   3,000 jobs of 64 KiB, enough for full pages of every size
#                  and, written after those are read, 14 records of one job, each with a
#                  1 MiB prompt, response and error and 1 MiB of metadata nested to the
#                  deepest level: the job's history
# then runs each operation on a freshly started server and reads its VmRSS and VmHWM
# (/proc/PID/status; the peak is reset through clear_refs before the operation).
# Pages stop at a byte budget (app/src/store/row.rs), so every operation is run: the
# answer column says how many records each returned and whether it gave a next cursor.
# The server runs under an address-space cap (RSS_BUDGET_GIB, default 8, + 4 GiB), so an
# operation that would pass it aborts the server instead of exhausting the machine.
#
# Sizes: TEXT_RECORDS (200), DENSE_BODIES (8 bodies of 16 records; the last 4 are sent
# at once, DENSE_AT_ONCE), MEDIUM_RECORDS (3000), JOB_BODIES (2 bodies of 7 records of
# one job, for its history). KEEP=1 keeps the database directory. Needs python3
# and about 2 GB of disk.
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
export LIST_PATH=$(fn_path list_records) POLL_PATH=$(fn_path poll_records) \
  DETAIL_PATH=$(fn_path event_detail) HISTORY_PATH=$(fn_path job_history)
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
DENSE_BODIES = int(os.environ.get("DENSE_BODIES", "8"))
MEDIUM_RECORDS = int(os.environ.get("MEDIUM_RECORDS", "3000"))
AT_ONCE = int(os.environ.get("DENSE_AT_ONCE", "4"))  # the last of DENSE_BODIES, sent at once
JOB_BODIES = int(os.environ.get("JOB_BODIES", "2"))
BODY_LIMIT = 32 << 20  # Config::default().body_limit
MAX_BATCH = 1000  # server/src/api/mod.rs
LONG = 1 << 20  # LONG_MAX in server/src/api/record.rs: also each admin value's JSON
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
                if request("GET", "/healthz").status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit("the server did not start: see server.log")
        answer = request("POST", "/auth/login", urllib.parse.urlencode(
            {"email": "rss@acme.test", "password": os.environ["PASSWORD"]}).encode(),
            {"content-type": "application/x-www-form-urlencoded"})
        self.cookie = answer.headers["set-cookie"].split(";")[0]
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
RECORD = b'"tenant_id":"acme"'  # once per record in JSON answers


class Answer:
    """What a request got: status, bytes, how often `count` occurred, the headers and
    the last 4 KiB (where pages put their next cursor). The body is streamed and
    dropped, so the client holds none of it."""

    def __init__(self, status, size, found, headers, tail):
        self.status, self.size, self.found, self.headers, self.tail = (
            status, size, found, headers, tail)

    def cursor(self):
        """The page's next cursor (`next_cursor`), or None."""
        m = re.search(rb'"next_cursor":("[^"]*"|null)', self.tail)
        return json.loads(m.group(1)) if m else None

    def text(self, cursor=True):
        t = f"{self.status}, {human(self.size)}" if self.size else str(self.status)
        if self.found is not None:
            t += f", {self.found} records"
        if cursor and self.status == 200 and self.cursor():
            t += ", next cursor"
        return t


def request(method, path, body=None, headers=None, count=None):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=1800)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    size, found, tail = 0, (0 if count else None), b""
    while chunk := r.read(4 * MIB):
        size += len(chunk)
        seen = tail + chunk
        if count:
            found += seen.count(count) - tail.count(count)
        tail = seen[-4096:]
    conn.close()
    return Answer(r.status, size, found, {k.lower(): v for k, v in r.getheaders()}, tail)


def api(method, path, body=None, count=RECORD):
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    return request(method, path, body, headers, count)


def console(path, payload):
    headers = {"cookie": SERVER.cookie, "content-type": "application/json"}
    return request("POST", path, json.dumps(payload).encode(), headers, RECORD)


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


# Dense admin actions: each value is zeros inside arrays from depth 3 (the batch's array
# is 1, the record's object 2) to 32, two bytes a zero on the wire and a whole JSON
# value each once decoded, and at most LONG bytes as serde_json::to_string writes it
# (compact, as sent). As many records as fit in a body with values of nearly LONG: 15
# with values of exactly LONG leave most of a 16th's room, so 16 with a little less.
DENSE_ARRAYS = MAX_DEPTH - 2


def dense_head(i):
    return ('{"kind":"admin_action","account_id":"acme-research","actor":"peak-rss",'
            '"action":"update","resource_type":"settings","resource_id":"r%06d",'
            '"event_name":"Settings updated","old_value":' % i)


DENSE_FIXED = len(dense_head(0)) + len(',"new_value":') + len("}")
ROOM = BODY_LIMIT - 64  # a little to spare; the batch's brackets and commas come off below
DENSE_PER_BODY = min(MAX_BATCH, -(-ROOM // (DENSE_FIXED + 2 * LONG + 1)))
_value_room = min(LONG, ((ROOM - 1) // DENSE_PER_BODY - 1 - DENSE_FIXED) // 2)
DENSE_ZEROS = (_value_room - 2 * DENSE_ARRAYS + 1) // 2
DENSE_VALUE = "[" * DENSE_ARRAYS + ",".join("0" * DENSE_ZEROS) + "]" * DENSE_ARRAYS
assert len(DENSE_VALUE) <= LONG and len(json.dumps(json.loads(DENSE_VALUE),
                                                   separators=(",", ":"))) == len(DENSE_VALUE)


def dense_record(i):
    return dense_head(i) + DENSE_VALUE + ',"new_value":' + DENSE_VALUE + "}"


# One job's history: records of the same job (acme-support, written after its reads), each with a 1 MiB prompt,
# response and error, and 1 MiB of metadata of zeros nested to the deepest level (the
# metadata object is depth 3 in a batch: arrays at 4 to 32). Only for `job_history`.
JOB_ZEROS = (LONG - len('{"a":}') - 2 * (MAX_DEPTH - 3) + 1) // 2
JOB_METADATA = ('{"a":' + "[" * (MAX_DEPTH - 3) + ",".join("0" * JOB_ZEROS)
                + "]" * (MAX_DEPTH - 3) + "}")
assert len(JOB_METADATA) <= LONG


def history_record(i):
    return ('{"kind":"job","account_id":"acme-support","job_id":"job_history","status":"running","agent":"peak-rss",'
            '"job_type":"agent.run","prompt":"%s","response":"%s","error":"%s","metadata":%s}'
            % ("p" * LONG, "r" * LONG, "e" * LONG, JOB_METADATA))


JOB_PER_BODY = min(MAX_BATCH, (BODY_LIMIT - 64) // (len(history_record(0)) + 1))


def medium_record(i):
    meta = nested(8, '{"trace":"' + "t" * 8192 + '"}')
    return ('{"kind":"job","account_id":"acme-support","job_id":"job_%d","status":"complete",'
            '"agent":"peak-rss","model":"gpt-4o","job_type":"agent.run","prompt":"%s",'
            '"response":"%s","error":"%s","metadata":%s}'
            % (i, "p" * 24576, "r" * 24576, "e" * 8192, meta))


def batch(record, first, n):
    body = ("[" + ",".join(record(first + j) for j in range(n)) + "]").encode()
    assert len(body) <= BODY_LIMIT and n <= MAX_BATCH, (len(body), n)
    return body


def human(n):
    if n is None:
        return "–"
    return f"{n / GIB:.2f} GiB" if abs(n) >= GIB else f"{n / MIB:.0f} MiB"


def row(name, records, result, seconds, before, peak, after, note=""):
    delta = None if peak is None or before is None else peak - before
    if peak is not None and peak > BUDGET:
        note = (note + "; " if note else "") + f"over the budget of {human(BUDGET)}"
    out(f"| {name} | {records} | {result} | {'–' if seconds is None else f'{seconds:.2f} s'} | "
        f"{human(before)} | {human(peak)} | {human(delta)} | {human(after)} | {note} |")


def measure(name, records, action, note=""):
    """Runs `action` (which returns the answer's text) on a fresh server."""
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
        return
    peak = SERVER.status()["VmHWM"]
    time.sleep(1)
    after = SERVER.status()["VmRSS"]
    row(name, records, result, seconds, before, peak, after, note)


def post(body):
    answer = api("POST", "/api/v1/events", body, count=None)
    if answer.status != 201:
        sys.exit(f"ingest answered {answer.status}: {answer.tail[-600:].decode(errors='replace')}"
                 f" (see {WORK}/server.log)")
    return answer


def fill(name, records, per_request, body_of):
    """The first request measured alone on a fresh server, then the rest one at a time."""
    sizes = [min(per_request, records - i) for i in range(0, records, per_request)]
    first = body_of(0, sizes[0])
    measure(f"ingest one request of {human(len(first))}: {sizes[0]} {name}", sizes[0],
            lambda: str(post(first).status))
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
    """`action(i)` in n threads at once; the answers' texts, the same ones once."""
    results = [None] * n

    def run(i):
        try:
            results[i] = action(i).text()
        except Exception as e:
            results[i] = f"failed: {type(e).__name__}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = sorted(set(results))
    return f"{texts[0]} (×{n})" if len(texts) == 1 else " / ".join(results)


def pull(account, n, cursor=None):
    path = f"/api/v1/events?account_id={account}&limit={n}"
    if cursor:
        path += "&cursor=" + urllib.parse.quote(cursor)
    return api("GET", path)


def pull_all(account):
    """Every page of limit=1000, following next_cursor: pages, records and bytes."""
    pages, records, size, cursor = 0, 0, 0, None
    while True:
        answer = pull(account, 1000, cursor)
        if answer.status != 200:
            return f"page {pages + 1}: {answer.status}"
        pages, records, size = pages + 1, records + answer.found, size + answer.size
        cursor = answer.cursor()
        if not cursor:
            break
    return f"200, {human(size)}, {records} records in {pages} pages"


def export(account, fmt):
    pattern = RECORD if fmt == "json" else b",acme,acme-"
    return lambda: api("GET", f"/api/v1/export?account_id={account}&format={fmt}",
                       count=pattern).text()


def list_page(account):
    return console(os.environ["LIST_PATH"], {"query": {"account": account}, "cursor": None})


def live_poll(account):
    return console(os.environ["POLL_PATH"], {"query": {"account": account}, "after_seq": 0})


def detail(record_id):
    headers = {"cookie": SERVER.cookie, "content-type": "application/x-www-form-urlencoded"}
    return request("POST", os.environ["DETAIL_PATH"], urllib.parse.urlencode({"id": record_id}).encode(),
                   headers, RECORD)


def history():
    headers = {"cookie": SERVER.cookie, "content-type": "application/x-www-form-urlencoded"}
    return request("POST", os.environ["HISTORY_PATH"],
                   urllib.parse.urlencode({"job_id": "job_history", "account_id": "acme-support"}).encode(), headers, RECORD)


def one_id(account):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=600)
    conn.request("GET", f"/api/v1/events?account_id={account}&limit=1",
                 headers={"authorization": f"Bearer {KEY}"})
    page = json.loads(conn.getresponse().read())
    return page["events"][0]["id"]


def reads(acc, label, total, by_id=False):
    """Every read of one account's records, each on a fresh server."""
    measure(f"pull limit=1, {label}", 1, lambda: pull(acc, 1).text())
    measure(f"pull limit=1000, {label}", 1000, lambda: pull(acc, 1000).text())
    measure(f"pull after_seq=0 limit=1000, {label}", 1000,
            lambda: api("GET", f"/api/v1/events?account_id={acc}&after_seq=0&limit=1000")
            .text(cursor=False))
    measure(f"4 concurrent pulls limit=1000, {label}", 4000,
            lambda: concurrent(4, lambda i: pull(acc, 1000)))
    measure(f"pull all {total} by pages of limit=1000 (next cursor), {label}", total,
            lambda: pull_all(acc))
    measure(f"export CSV, {total} × {label}", total, export(acc, "csv"))
    measure(f"export JSON, {total} × {label}", total, export(acc, "json"))
    measure(f"console page (50), {label}", 50, lambda: list_page(acc).text())
    measure(f"Live poll (100), {label}", 100, lambda: live_poll(acc).text(cursor=False))
    if by_id:
        SERVER.restart()
        record_id = one_id(acc)
        measure(f"get one by id, {label}", 1,
                lambda: api("GET", f"/api/v1/events/{record_id}").text())
        measure(f"console record detail (event_detail), {label}", 1,
                lambda: detail(record_id).text())


# --- the run ---------------------------------------------------------------------------

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal"))
dense_records = DENSE_BODIES * DENSE_PER_BODY
out(f"# Peak memory per request, {time.strftime('%Y-%m-%d %H:%M')} UTC")
out(f"machine: {os.cpu_count()} cores ({cpu}), {human(mem)}; vigil {BIN} ({os.environ['BUILT']}); "
    f"SQLite; address-space cap {human(BUDGET + 4 * GIB)}; load average at the start "
    + " ".join(f"{x:.2f}" for x in os.getloadavg()))
out(f"records: {MEDIUM_RECORDS} jobs of 64 KiB (acme-support), {TEXT_RECORDS} threads of 6 MiB "
    f"(acme-prod), {dense_records} admin actions (acme-research) whose old and new values are "
    f"each {len(DENSE_VALUE):,} bytes of JSON ({DENSE_ZEROS:,} zeros inside {DENSE_ARRAYS} arrays), "
    f"{DENSE_PER_BODY} per {human(len(batch(dense_record, 0, DENSE_PER_BODY)))} body "
    f"({len(batch(dense_record, 0, DENSE_PER_BODY)):,} bytes of {BODY_LIMIT:,})")
out()
out("| operation | records | answer | time | RSS before | peak RSS | peak − before | RSS 1 s after | note |")
out("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")

SERVER.start()
measure("idle server (baseline)", 0, lambda: "–")

fill("64 KiB jobs", MEDIUM_RECORDS, 400, lambda i, n: batch(medium_record, i, n))
fill("6 MiB threads", TEXT_RECORDS, 5, lambda i, n: batch(thread_record, i, n))
alone = max(DENSE_BODIES - AT_ONCE, 1)
fill("dense admin actions (1 MiB admin values)", alone * DENSE_PER_BODY, DENSE_PER_BODY,
     lambda i, n: batch(dense_record, i, n))
if DENSE_BODIES > alone:
    at_once = DENSE_BODIES - alone
    bodies = [batch(dense_record, (alone + k) * DENSE_PER_BODY, DENSE_PER_BODY)
              for k in range(at_once)]
    measure(f"ingest {at_once} requests of {human(len(bodies[0]))} of 1 MiB admin values at once "
            f"({DENSE_PER_BODY} records each)", at_once * DENSE_PER_BODY,
            lambda: concurrent(at_once, lambda k: post(bodies[k])))
    del bodies

reads("acme-support", "64 KiB jobs", MEDIUM_RECORDS)
reads("acme-prod", "6 MiB threads", TEXT_RECORDS, by_id=True)
reads("acme-research", "1 MiB admin values", dense_records, by_id=True)

# A job's history (the console's job drawer) reads every record of one job, up to 500.
if JOB_BODIES:
    jobs = JOB_BODIES * JOB_PER_BODY
    fill("records of one job (4 MiB: 1 MiB metadata nested)", jobs, JOB_PER_BODY,
         lambda i, n: batch(history_record, i, n))
    measure(f"console job history (job_history), {jobs} records of one job", jobs,
            lambda: history().text(cursor=False))
SERVER.stop()

out()
out(f"database: {human(os.path.getsize(DB.removeprefix('sqlite:')))}; load average at the end "
    + " ".join(f"{x:.2f}" for x in os.getloadavg()))
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
PY
