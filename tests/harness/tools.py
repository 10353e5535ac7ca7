"""Running the built tools from tests."""

import json
import os
import signal
import subprocess
import tempfile

SOURCE_DIR = os.environ.get(
    "C42_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN_DIR = os.environ.get("C42_BIN_DIR", os.path.join(SOURCE_DIR, "build"))
DRIVER = os.path.join(SOURCE_DIR, "scripts", "c42-ship")


def tool_path(name):
    return os.path.join(BIN_DIR, name)


def run_tool(name, args=(), input=b"", env=None, timeout=120):
    """Runs a tool with a clean environment plus `env`; returns the
    CompletedProcess with bytes stdout/stderr."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    full_env.update(env or {})
    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run([tool_path(name)] + list(args), input=input, env=full_env,
                          capture_output=True, timeout=timeout)


def lines_of(output):
    """Parses NDJSON output (bytes) into objects."""
    return [json.loads(line) for line in output.decode("utf-8").split("\n") if line]


def controls(objs, kind=None):
    return [o for o in objs if "@c42" in o and (kind is None or o["@c42"] == kind)]


def records(objs):
    return [o for o in objs if "@c42" not in o]


def start_driver(test, args, env, driver=DRIVER):
    """Starts the driver in a process group of its own; the test's cleanup
    kills the group if the run is still going."""
    proc = subprocess.Popen([driver] + list(args), env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    test.addCleanup(stop_group, proc)
    return proc


def stop_group(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def finish_driver(test, proc, timeout):
    """(status, stdout, stderr, statistics) of a run started by start_driver:
    the output as text, the statistics (the --json line) or None. A run
    still going after `timeout` seconds is killed and fails the test."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        test.fail("c42-ship did not finish within %d s: %s" % (timeout, err.decode()))
    out, err = out.decode(), err.decode("utf-8", "replace")
    lines = out.strip().splitlines()
    stats = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    return proc.returncode, out, err, stats


def run_driver(settings, env, args=(), workdir=None, timeout=90):
    """Runs scripts/c42-ship with `settings` in a --config file, a clean
    environment plus `env`, and --json; returns (status, statistics or None,
    standard error)."""
    with tempfile.NamedTemporaryFile("w", suffix=".env", dir=workdir, delete=False) as f:
        for key, value in settings.items():
            f.write("%s=%s\n" % (key, value))
        config = f.name
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "LA_", "SQS_", "C42_"))}
    full_env.update(env)
    if workdir:
        full_env["TMPDIR"] = workdir
    try:
        r = subprocess.run([DRIVER, "--config", config, "--json"] + list(args), env=full_env,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    finally:
        os.remove(config)
    out = r.stdout.decode().strip().splitlines()
    stats = json.loads(out[-1]) if out and out[-1].startswith("{") else None
    return r.returncode, stats, r.stderr.decode()
