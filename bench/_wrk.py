"""wrk, driven the same way by every bench: a Lua script that POSTs one body and counts
every status (wrk itself only counts "non-2xx/3xx"), and one JSON result line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from _servers import PATH, BenchError

SCRIPT = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {{}} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local merged = {{}}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do merged[status] = (merged[status] or 0) + n end
  end
  local parts = {{}}
  for status, n in pairs(merged) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests":%d,"duration_us":%d,"mean_us":%.1f,"p50_us":%d,"p99_us":%d,'
      .. '"socket_errors":%d,"statuses":{{%s}}}}\\n',
    summary.requests, summary.duration, latency.mean, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
"""


def write_script(path: Path, body: bytes, token: str) -> Path:
    """A wrk script that POSTs ``body`` with a bearer ``token``, at ``path``."""
    path.write_text(SCRIPT.format(body=body.decode(), token=token))
    return path


def wrk(
    url: str, script: Path, seconds: int, *, threads: int, connections: int
) -> dict[str, object]:
    """Load ``url`` + the contract's path for ``seconds``; wrk's result as a dict."""
    command = [
        "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{seconds}s",
        "--timeout", "5s", "-s", str(script), url + PATH,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            parsed: dict[str, object] = json.loads(line.removeprefix("BENCH "))
            return parsed
    raise BenchError(f"wrk printed no result (exit {done.returncode}):\n{done.stderr}")
