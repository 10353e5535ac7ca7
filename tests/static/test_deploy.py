"""deploy/: the schedules and scale-out recipes, each read by the parser or
checked against the schema its platform uses, and each checked for what
makes it safe to run: no overlap, a time limit above the run's hard limit,
no stored key, a user that is not root.

What reads what:
- the crontab line: its schedule by a strict parser of the five fields
  (crontab(5)), its command by shellcheck as the sh script cron runs;
- the systemd units: systemd-analyze verify, in a scratch root so that no
  running systemd is needed, and systemd-analyze calendar for the timer;
- the Dockerfile: the Docker language server's parser and linter (npm
  dockerfile-ast, dockerfile-utils);
- the Kubernetes and KEDA manifests: the Kubernetes and KEDA OpenAPI schemas
  (npm kubernetes-models, @kubernetes-models/keda);
- the Container Apps job: the Microsoft.App REST API model of the Azure SDK
  (npm @azure/arm-appcontainers), which names every property the service
  knows, and a JSON schema of ours (below) for the types of the fields that
  matter here, as no official schema is to be had offline;
- every set of settings and arguments: the driver itself, which parses
  them and stops only because it finds no tools to run.

The npm packages (versions pinned in deploy_validators/package-lock.json)
are installed into a cache beside the build at the first run; without the
registry the tests that need them are skipped, saying so.
"""

import copy
import datetime
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("C42_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
DEPLOY = os.path.join(SOURCE_DIR, "deploy")
DRIVER = os.path.join(SOURCE_DIR, "scripts", "c42-ship")
VALIDATORS = os.path.join(HERE, "deploy_validators")
INSTALLED_DRIVER = "/usr/bin/c42-ship"
OPERATOR_CONFIG = "/etc/c42-ship/c42-ship.conf"

# Names whose presence means a stored secret.
SECRET_SETTINGS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                   "LA_SHARED_KEY", "LA_SHARED_KEY_FILE", "AZURE_CLIENT_SECRET"]
# What KEDA's aws-sqs-queue scaler documents as its trigger metadata.
SQS_SCALER_METADATA = {"queueURL", "queueURLFromEnv", "queueLength", "activationQueueLength",
                       "awsRegion", "awsEndpoint", "identityOwner", "scaleOnInFlight",
                       "scaleOnDelayed"}
# And as its secret authentication parameters.
SQS_SCALER_AUTH = {"awsAccessKeyID", "awsSecretAccessKey", "awsSessionToken", "awsRoleArn"}


def read(*path):
    with open(os.path.join(DEPLOY, *path), encoding="utf-8") as f:
        return f.read()


def driver_constant(name):
    """A `readonly NAME=number` of scripts/c42-ship."""
    with open(DRIVER, encoding="utf-8") as f:
        match = re.search(r"^readonly %s=(\d+)$" % name, f.read(), re.M)
    return int(match.group(1))


# The driver's drain after its hard limit: sqs-ack may delete until then.
GRACE = driver_constant("GRACE_SECONDS")


def run_limits(args):
    """(budget, hard limit) of a driver command line."""
    def value(option):
        for i, arg in enumerate(args):
            if arg == option:
                return int(args[i + 1])
            if arg.startswith(option + "="):
                return int(arg.split("=", 1)[1])
        return None
    budget = value("--budget")
    budget = 270 if budget is None else budget
    hard = value("--hard-limit")
    return budget, budget + 25 if hard is None else hard


def longest_run(args):
    """Seconds a run with these arguments may last: its hard limit, then
    sqs-ack's last deletions."""
    return run_limits(args)[1] + GRACE


# crontab(5): minute, hour, day of month, month, day of week.
CRON_FIELDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field(text, low, high):
    """The values a crontab time field names; ValueError when it is not a
    valid field (names like 'mon' are not used here and not accepted)."""
    values = set()
    for part in text.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not match:
            raise ValueError("bad cron field part %r" % part)
        if match.group(1) == "*":
            first, last = low, high
        else:
            first = int(match.group(2))
            last = int(match.group(3)) if match.group(3) else first
        step = int(match.group(4)) if match.group(4) else 1
        if match.group(4) and match.group(1) != "*" and not match.group(3):
            raise ValueError("a step needs a range or *: %r" % part)
        if not (low <= first <= last <= high) or step < 1:
            raise ValueError("cron field %r out of %d-%d" % (part, low, high))
        values.update(range(first, last + 1, step))
    return values


def cron_period(schedule):
    """Shortest gap in seconds between two runs of a five-field schedule
    that runs every hour of every day."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError("a schedule has five fields, not %d" % len(fields))
    sets = [cron_field(f, low, high) for f, (low, high) in zip(fields, CRON_FIELDS)]
    minutes = sorted(sets[0])
    if sets[1] != set(range(24)):
        raise ValueError("only schedules that run every hour are handled here")
    gaps = [b - a for a, b in zip(minutes, minutes[1:])] + [minutes[0] + 60 - minutes[-1]]
    return 60 * min(gaps)


def assert_driver_accepts(test, args, config_text=None, env=None):
    """The driver takes these arguments and settings: it parses them all,
    then stops at the first thing it cannot have here, its tools."""
    with tempfile.TemporaryDirectory() as scratch:
        empty_bin = os.path.join(scratch, "bin")
        os.mkdir(empty_bin)
        args = list(args)
        if config_text is not None:
            config = os.path.join(scratch, "c42-ship.conf")
            with open(config, "w") as f:
                f.write(config_text)
            index = args.index("--config")
            args[index + 1] = config
        full_env = {"PATH": "/usr/bin:/bin", "C42_BIN_DIR": empty_bin, "TMPDIR": scratch}
        full_env.update(env or {})
        r = subprocess.run([DRIVER] + args, env=full_env, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=30)
    test.assertEqual((r.returncode, r.stderr),
                     (4, "c42-ship: error: cannot find sqs-poll in '%s' (set C42_BIN_DIR)\n"
                      % empty_bin), "the driver refused %s" % args)


def settings_of(config_text):
    """KEY=VALUE lines of a settings file, as the driver reads them."""
    out = {}
    for line in config_text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            out[key.strip()] = value
    return out


def check_sqs_trigger(test, metadata, queue_url, region):
    """KEDA's aws-sqs-queue trigger metadata, on the run's own queue."""
    test.assertLessEqual(set(metadata), SQS_SCALER_METADATA, "unknown aws-sqs-queue metadata")
    test.assertTrue(all(isinstance(v, str) for v in metadata.values()),
                    "KEDA trigger metadata values are strings")
    test.assertEqual(metadata["queueURL"], queue_url)
    test.assertEqual(metadata["awsRegion"], region)
    test.assertEqual(re.match(r"https://sqs\.([a-z0-9-]+)\.amazonaws\.com/\d{12}/",
                              queue_url).group(1), region, "the queue is in another region")
    test.assertRegex(metadata["queueLength"], r"^[1-9]\d*$")
    test.assertIn(metadata.get("scaleOnInFlight", "true"), ("true", "false"))


def shows_no_secret(test, text):
    for name in SECRET_SETTINGS:
        test.assertNotRegex(text, r"\b%s\b" % name, "a stored secret")
    test.assertNotRegex(text, r"\bAKIA[0-9A-Z]{16}\b", "an AWS access key")


class Validators:
    """The npm packages, installed once into a cache keyed by the lock file,
    and the node script that runs them."""

    dir = None
    skip_reason = None

    @classmethod
    def ensure(cls):
        if cls.dir or cls.skip_reason:
            return
        if not shutil.which("npm") or not shutil.which("node"):
            # Debian's own nodejs comes without npm, whose package conflicts
            # with other builds of node; the machines this suite runs on have both.
            cls.skip_reason = ("node or npm not installed, the Dockerfile, Kubernetes and "
                               "Container Apps schemas were not checked")
            return
        cache = os.environ.get("C42_DEPLOY_VALIDATORS") or os.path.join(BIN_DIR, "deploy-validators")
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with open(os.path.join(VALIDATORS, "package-lock.json")) as f:
                wanted = f.read()
            stamp = os.path.join(cache, "installed-lock.json")
            for name in ["package.json", "package-lock.json", "validate.mjs"]:
                shutil.copyfile(os.path.join(VALIDATORS, name), os.path.join(cache, name))
            try:
                with open(stamp) as f:
                    current = f.read() == wanted
            except FileNotFoundError:
                current = False
            if not current or not os.path.isdir(os.path.join(cache, "node_modules")):
                r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                                   cwd=cache, capture_output=True, text=True, timeout=240)
                if r.returncode != 0:
                    if re.search(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|"
                                 r"network|socket hang up", r.stderr):
                        cls.skip_reason = ("npm registry unreachable, the Dockerfile, Kubernetes "
                                           "and Container Apps schemas were not checked: "
                                           + r.stderr.strip().splitlines()[-1])
                        return
                    raise RuntimeError("npm ci failed: %s" % r.stderr[-2000:])
                with open(stamp, "w") as f:
                    f.write(wanted)
        cls.dir = cache

    @classmethod
    def ask(cls, test, request):
        cls.ensure()
        if cls.skip_reason:
            test.skipTest(cls.skip_reason)
        r = subprocess.run(["node", os.path.join(cls.dir, "validate.mjs")],
                           input=json.dumps(request), capture_output=True, text=True, timeout=60)
        test.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)


class Cron(unittest.TestCase):
    def entry(self):
        lines = [line for line in read("cron", "c42-ship.crontab").splitlines()
                 if line.strip() and not line.startswith("#")]
        self.assertEqual(len(lines), 1, "one crontab line")
        fields = lines[0].split(None, 5)
        return " ".join(fields[:5]), fields[5]

    def driver_args(self, command):
        words = shlex.split(command)
        start = words.index(INSTALLED_DRIVER)
        end = next((i for i, w in enumerate(words) if w.startswith((">", "<", "2>"))), len(words))
        return words, words[start + 1:end]

    def test_schedule_is_valid_and_leaves_room_for_the_longest_run(self):
        schedule, command = self.entry()
        period = cron_period(schedule)
        _, args = self.driver_args(command)
        self.assertLess(longest_run(args), period, "a run could outlast its slot")

    def test_cron_field_parser_refuses_what_crontab_refuses(self):
        for bad in ["60 * * * *", "*/0 * * * *", "* 24 * * *", "5-1 * * * *", "* * 0 * *",
                    "*/5 * * *", "a * * * *", "5/10 * * * *"]:
            with self.subTest(schedule=bad):
                with self.assertRaises(ValueError):
                    cron_period(bad)
        self.assertEqual(cron_period("*/5 * * * *"), 300)
        self.assertEqual(cron_period("7,37 * * * *"), 1800)

    def test_command_takes_the_lock_without_waiting(self):
        _, command = self.entry()
        self.assertNotIn("%", command, "cron turns % into a newline")
        words, _ = self.driver_args(command)
        self.assertEqual(words[:2], ["flock", "-n"])
        self.assertTrue(os.path.isabs(words[2]), "the lock file needs an absolute path")
        self.assertEqual(words[3], INSTALLED_DRIVER)

    def test_command_passes_shellcheck_as_the_sh_script_cron_runs(self):
        _, command = self.entry()
        with tempfile.NamedTemporaryFile("w", suffix=".sh") as script:
            script.write("#!/bin/sh\n%s\n" % command)
            script.flush()
            r = subprocess.run(["shellcheck", "--shell=sh", "--severity=style", script.name],
                               capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout), (0, ""))

    def test_driver_accepts_the_command_line(self):
        _, command = self.entry()
        _, args = self.driver_args(command)
        self.assertEqual(args[:2], ["--config", OPERATOR_CONFIG])
        config = "SQS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/q\n" \
                 "LA_WORKSPACE_ID=12345678-90ab-cdef-1234-567890abcdef\n" \
                 "LA_SHARED_KEY_FILE=/etc/c42-ship/la.key\n"
        assert_driver_accepts(self, args, config)


def unit_file(text):
    """{section: [(key, value)]} of a systemd unit file."""
    sections = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def unit_value(sections, section, key):
    values = [v for k, v in sections.get(section, []) if k == key]
    return values[-1] if values else None


def seconds(text):
    """A systemd time span in seconds (only the forms used here)."""
    match = re.fullmatch(r"(\d+)\s*(s|sec|min|m)?", text)
    return int(match.group(1)) * (60 if match.group(2) in ("min", "m") else 1)


class Systemd(unittest.TestCase):
    UNITS = ["c42-ship.service", "c42-ship.timer"]

    def verify(self, units):
        """systemd-analyze verify in a scratch root: the distribution's own
        units (targets the timer needs), ours, and a stand-in for the
        installed driver (verify checks that ExecStart= can be run)."""
        system_units = next(d for d in ["/usr/lib/systemd/system", "/lib/systemd/system"]
                            if os.path.isdir(d))
        with tempfile.TemporaryDirectory() as root:
            shutil.copytree(system_units, os.path.join(root, "usr/lib/systemd/system"),
                            symlinks=True)
            etc = os.path.join(root, "etc/systemd/system")
            os.makedirs(etc)
            for name, text in units.items():
                with open(os.path.join(etc, name), "w") as f:
                    f.write(text)
            os.makedirs(os.path.join(root, "usr/bin"))
            stand_in = os.path.join(root, INSTALLED_DRIVER.lstrip("/"))
            with open(stand_in, "w") as f:
                f.write("#!/bin/sh\n")
            os.chmod(stand_in, 0o755)
            return subprocess.run(["systemd-analyze", "--man=no", "--root=" + root, "verify"]
                                  + list(units), capture_output=True, text=True, timeout=60)

    def test_units_pass_systemd_analyze_verify_without_a_word(self):
        r = self.verify({name: read("systemd", name) for name in self.UNITS})
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_verify_here_does_catch_a_mistake(self):
        # The control: a misspelt setting is reported, so silence above
        # means something.
        service = read("systemd", "c42-ship.service").replace("NoNewPrivileges=",
                                                              "NoNewPrivilege=")
        r = self.verify({"c42-ship.service": service, "c42-ship.timer": read("systemd",
                                                                             "c42-ship.timer")})
        self.assertIn("Unknown key 'NoNewPrivilege'", r.stderr)

    def test_service_is_a_hardened_oneshot_with_a_timeout_above_the_hard_limit(self):
        service = unit_file(read("systemd", "c42-ship.service"))
        get = lambda key: unit_value(service, "Service", key)  # noqa: E731
        self.assertEqual(get("Type"), "oneshot")
        self.assertTrue(get("DynamicUser") == "yes" or get("User") not in (None, "root", "0"))
        for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                           ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                           ("PrivateDevices", "yes"), ("CapabilityBoundingSet", "")]:
            self.assertEqual(get(key), value, key)
        args = shlex.split(get("ExecStart"))
        self.assertEqual(args[0], INSTALLED_DRIVER)
        timeout = seconds(get("TimeoutStartSec"))
        self.assertGreater(timeout, longest_run(args[1:]))
        # The settings reach the run as a credential only its user can read.
        config = args[args.index("--config") + 1]
        name, source = get("LoadCredential").split(":", 1)
        self.assertEqual(config, "%d/" + name)
        self.assertEqual(source, OPERATOR_CONFIG)
        self.assertIn("1", get("SuccessExitStatus").split(), "exit 1 (messages kept) is normal")

    def test_timer_fires_every_five_minutes_and_a_run_fits_in_between(self):
        timer = unit_file(read("systemd", "c42-ship.timer"))
        service = unit_file(read("systemd", "c42-ship.service"))
        self.assertEqual(unit_value(timer, "Timer", "Persistent"), "true")
        delay = seconds(unit_value(timer, "Timer", "RandomizedDelaySec"))
        self.assertGreater(delay, 0)
        r = subprocess.run(["systemd-analyze", "calendar", "--iterations=3",
                            unit_value(timer, "Timer", "OnCalendar")],
                           capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
        self.assertEqual(r.returncode, 0, r.stderr)
        times = [datetime.datetime.strptime(m, "%Y-%m-%d %H:%M:%S") for m in re.findall(
            r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", r.stdout)]
        self.assertEqual(len(times), 3, r.stdout)
        period = min((b - a).total_seconds() for a, b in zip(times, times[1:]))
        self.assertEqual(period, 300)
        # Started as late as the delay allows, a run still ends before the
        # next is due (were it not, systemd would skip that one, not stack it).
        args = shlex.split(unit_value(service, "Service", "ExecStart"))[1:]
        self.assertLess(longest_run(args) + delay, period)

    def test_driver_accepts_the_service_command_line(self):
        service = unit_file(read("systemd", "c42-ship.service"))
        args = shlex.split(unit_value(service, "Service", "ExecStart"))[1:]
        config = "SQS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/q\n" \
                 "LA_DCR_ID=dcr-0123456789abcdef0123456789abcdef\n" \
                 "LA_INGESTION_ENDPOINT=https://x.westeurope-1.ingest.monitor.azure.com\n" \
                 "LA_STREAM=Custom-Code42Logs_CL\n"
        assert_driver_accepts(self, args, config)


class Container(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = read("container", "Dockerfile")

    def parsed(self, test):
        return Validators.ask(test, {"kind": "dockerfile", "text": self.text})

    def stages(self):
        """[(FROM instruction, [instructions of the stage])]."""
        out = []
        for ins in self.parsed(self)["instructions"]:
            if ins["keyword"] == "FROM":
                out.append((ins, []))
            else:
                self.assertTrue(out, "an instruction before FROM")
                out[-1][1].append(ins)
        return out

    @staticmethod
    def installed(stage):
        """Packages a stage installs with apt-get install."""
        packages = []
        for ins in stage:
            if ins["keyword"] != "RUN":
                continue
            words = ins["arguments"]
            for i, word in enumerate(words):
                if word == "install" and i and words[i - 1] == "apt-get":
                    for w in words[i + 1:]:
                        if w == "&&":
                            break
                        if not w.startswith("-"):
                            packages.append(w)
        return packages

    def test_linter_finds_nothing(self):
        self.assertEqual(self.parsed(self)["diagnostics"], [])

    def test_linter_here_does_catch_a_mistake(self):
        answer = Validators.ask(self, {"kind": "dockerfile",
                                       "text": self.text.replace("WORKDIR /src", "WORKDIR src")})
        self.assertTrue(answer["diagnostics"], "a relative WORKDIR went unnoticed")

    def test_builds_on_bookworm_and_runs_on_bookworm_slim(self):
        stages = self.stages()
        self.assertGreaterEqual(len(stages), 2, "multi-stage")
        build, runtime = stages[0], stages[-1]
        self.assertEqual(build[0]["image"], "debian:bookworm")
        self.assertTrue(build[0]["stage"])
        self.assertEqual(runtime[0]["image"], "debian:bookworm-slim")
        copies = [ins for ins in runtime[1] if ins["keyword"] == "COPY"]
        self.assertIn(["from", build[0]["stage"]], [f for c in copies for f in c["flags"]])

    def test_build_stage_has_the_dev_packages_the_project_builds_with(self):
        build = self.stages()[0][1]
        with open(os.path.join(SOURCE_DIR, "scripts", "packages")) as f:
            project = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        packages = set(self.installed(build))
        self.assertLessEqual(packages - {"ca-certificates"}, project)
        self.assertLessEqual({"libcurl4-openssl-dev", "libssl-dev", "libjsoncpp-dev",
                              "zlib1g-dev", "libcli11-dev"}, packages)

    def test_runtime_stage_has_runtime_libraries_only(self):
        packages = set(self.installed(self.stages()[-1][1]))
        self.assertEqual([p for p in packages if p.endswith("-dev")], [])
        self.assertLessEqual({"ca-certificates", "libcurl4", "libssl3", "libjsoncpp25", "zlib1g"},
                             packages)
        self.assertNotIn("g++", packages)

    def test_runs_as_a_user_that_is_not_root_with_the_driver_as_entrypoint(self):
        runtime = self.stages()[-1][1]
        users = [ins["arguments"][0] for ins in runtime if ins["keyword"] == "USER"]
        self.assertTrue(users, "no USER in the final stage")
        user = users[-1].split(":")[0]
        self.assertRegex(user, r"^[1-9]\d*$", "a numeric user, so runAsNonRoot can check it")
        entrypoint = [ins for ins in runtime if ins["keyword"] == "ENTRYPOINT"][-1]
        self.assertEqual(entrypoint["json"], [INSTALLED_DRIVER])

    def test_image_holds_no_secret(self):
        for ins in self.parsed(self)["instructions"]:
            if ins["keyword"] in ("ENV", "ARG"):
                for name, _ in ins.get("properties", []):
                    self.assertNotRegex(name, r"KEY|SECRET|TOKEN|PASSWORD", "a secret in the image")
        shows_no_secret(self, self.text)

    def test_build_context_leaves_out_builds_and_git(self):
        ignored = read("container", "Dockerfile.dockerignore").split()
        self.assertIn(".git", ignored)
        self.assertIn("build*", ignored)


class Kubernetes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.texts = {name: read("kubernetes", name)
                     for name in ["c42-ship.yaml", "keda-scaledjob.yaml"]}
        cls.docs = [doc for text in cls.texts.values() for doc in yaml.safe_load_all(text)]

    def one(self, kind):
        found = [d for d in self.docs if d["kind"] == kind]
        self.assertEqual(len(found), 1, kind)
        return found[0]

    def settings(self):
        return settings_of(self.one("ConfigMap")["data"]["c42-ship.conf"])

    def test_every_manifest_passes_its_kubernetes_or_keda_schema(self):
        answer = Validators.ask(self, {"kind": "kubernetes", "documents": self.docs})
        self.assertEqual(answer["errors"], [])

    def test_schema_check_here_does_catch_a_mistake(self):
        broken = copy.deepcopy(self.one("CronJob"))
        broken["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] = "290"
        broken["spec"]["concurrencyPolicy"] = "Never"
        answer = Validators.ask(self, {"kind": "kubernetes", "documents": [broken]})
        self.assertEqual(len(answer["errors"]), 1)
        self.assertIn("must be integer", answer["errors"][0])
        self.assertIn("must be equal to one of the allowed values", answer["errors"][0])

    def pod(self, doc):
        if doc["kind"] == "CronJob":
            return doc["spec"]["jobTemplate"]["spec"]["template"]
        return doc["spec"]["jobTargetRef"]["template"]

    def job(self, doc):
        if doc["kind"] == "CronJob":
            return doc["spec"]["jobTemplate"]["spec"]
        return doc["spec"]["jobTargetRef"]

    def test_cronjob_never_overlaps_and_its_deadline_covers_a_run(self):
        cronjob = self.one("CronJob")
        self.assertEqual(cronjob["spec"]["concurrencyPolicy"], "Forbid")
        period = cron_period(cronjob["spec"]["schedule"])
        for doc in [cronjob, self.one("ScaledJob")]:
            with self.subTest(kind=doc["kind"]):
                args = self.pod(doc)["spec"]["containers"][0]["args"]
                deadline = self.job(doc)["activeDeadlineSeconds"]
                self.assertGreater(deadline, longest_run(args))
                self.assertLess(deadline, period)
                self.assertEqual(self.job(doc)["backoffLimit"], 0)
                grace = self.pod(doc)["spec"]["terminationGracePeriodSeconds"]
                self.assertGreater(grace, GRACE, "the driver's drain after SIGTERM")

    def test_scaledjob_runs_the_same_pod_as_the_cronjob(self):
        self.assertEqual(self.pod(self.one("ScaledJob")), self.pod(self.one("CronJob")))

    def test_pod_runs_as_non_root_with_nothing_to_escalate(self):
        pod = self.pod(self.one("CronJob"))["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertGreater(pod["securityContext"]["runAsUser"], 0)
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        self.assertFalse(pod["automountServiceAccountToken"])
        for container in pod["containers"]:
            sc = container["securityContext"]
            self.assertFalse(sc["allowPrivilegeEscalation"])
            self.assertTrue(sc["readOnlyRootFilesystem"])
            self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
            self.assertIn("limits", container["resources"])
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertIn("emptyDir", volumes[mounts["/tmp"]], "the driver's pipes need a /tmp")

    def test_settings_come_from_the_configmap_and_the_driver_takes_them(self):
        pod = self.pod(self.one("CronJob"))["spec"]
        container = pod["containers"][0]
        args = container["args"]
        config = args[args.index("--config") + 1]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volume = next(v for v in pod["volumes"] if v["name"] == mounts[os.path.dirname(config)])
        configmap = self.one("ConfigMap")
        self.assertEqual(volume["configMap"]["name"], configmap["metadata"]["name"])
        self.assertIn(os.path.basename(config), configmap["data"])
        self.assertNotIn("env", container, "settings belong in the ConfigMap")
        assert_driver_accepts(self, args, configmap["data"]["c42-ship.conf"])

    def test_no_key_is_stored_the_identities_come_from_projected_tokens(self):
        self.assertNotIn("Secret", [d["kind"] for d in self.docs])
        for name, text in self.texts.items():
            with self.subTest(file=name):
                shows_no_secret(self, text)
        settings = self.settings()
        self.assertRegex(settings["AWS_ROLE_ARN"], r"^arn:aws:iam::\d{12}:role/")
        pod = self.pod(self.one("CronJob"))
        spec = pod["spec"]
        token_file = settings["AWS_WEB_IDENTITY_TOKEN_FILE"]
        mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
        volume = next(v for v in spec["volumes"] if v["name"] == mounts[os.path.dirname(token_file)])
        source = volume["projected"]["sources"][0]["serviceAccountToken"]
        self.assertEqual(source["path"], os.path.basename(token_file))
        self.assertEqual(source["audience"], "sts.amazonaws.com")
        # Azure workload identity for Log Analytics.
        self.assertEqual(pod["metadata"]["labels"]["azure.workload.identity/use"], "true")
        account = self.one("ServiceAccount")
        self.assertEqual(spec["serviceAccountName"], account["metadata"]["name"])
        self.assertRegex(account["metadata"]["annotations"]["azure.workload.identity/client-id"],
                         r"^[0-9a-f-]{36}$")

    def test_scaledjob_scales_on_the_runs_own_queue_with_a_pod_identity(self):
        scaled = self.one("ScaledJob")
        settings = self.settings()
        triggers = scaled["spec"]["triggers"]
        self.assertEqual([t["type"] for t in triggers], ["aws-sqs-queue"])
        check_sqs_trigger(self, triggers[0]["metadata"], settings["SQS_QUEUE_URL"],
                          settings["AWS_REGION"])
        self.assertNotIn("identityOwner", triggers[0]["metadata"], "deprecated since KEDA 2.13")
        auth = self.one("TriggerAuthentication")
        self.assertEqual(triggers[0]["authenticationRef"]["name"], auth["metadata"]["name"])
        self.assertEqual(auth["spec"]["podIdentity"]["provider"], "aws")
        self.assertNotIn("secretTargetRef", auth["spec"])
        self.assertGreaterEqual(scaled["spec"]["maxReplicaCount"], 1)
        namespaces = {d["metadata"].get("namespace") for d in self.docs if d["kind"] != "Namespace"}
        self.assertEqual(namespaces, {self.one("Namespace")["metadata"]["name"]})


# The types of the fields this recipe relies on, from the Microsoft.App
# jobs REST API reference; which properties exist at all is the Azure
# SDK's model's to say (test_every_key_is_one_the_container_apps_api_knows).
CONTAINER_APPS_JOB_SCHEMA = {
    "type": "object",
    "required": ["location", "identity", "properties"],
    "properties": {
        "location": {"type": "string"},
        "identity": {
            "type": "object", "required": ["type"],
            "properties": {
                "type": {"enum": ["SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"]},
                "userAssignedIdentities": {"type": "object",
                                           "additionalProperties": {"type": "object"}},
            },
        },
        "properties": {
            "type": "object", "required": ["environmentId", "configuration", "template"],
            "properties": {
                "environmentId": {"type": "string", "pattern": "^/subscriptions/.+/managedEnvironments/[^/]+$"},
                "configuration": {
                    "type": "object",
                    "required": ["triggerType", "replicaTimeout", "eventTriggerConfig"],
                    "properties": {
                        "triggerType": {"const": "Event"},
                        "replicaTimeout": {"type": "integer", "minimum": 1},
                        "replicaRetryLimit": {"type": "integer", "minimum": 0},
                        "secrets": {"type": "array", "items": {
                            "type": "object", "required": ["name"],
                            "properties": {"name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-.]*[a-z0-9]$"},
                                           "keyVaultUrl": {"type": "string"},
                                           "identity": {"type": "string"},
                                           "value": {"type": "string"}}}},
                        "registries": {"type": "array", "items": {
                            "type": "object", "required": ["server"],
                            "properties": {"server": {"type": "string"},
                                           "identity": {"type": "string"}}}},
                        "eventTriggerConfig": {
                            "type": "object", "required": ["scale"],
                            "properties": {
                                "parallelism": {"type": "integer", "minimum": 1},
                                "replicaCompletionCount": {"type": "integer", "minimum": 1},
                                "scale": {
                                    "type": "object", "required": ["rules"],
                                    "properties": {
                                        "minExecutions": {"type": "integer", "minimum": 0},
                                        "maxExecutions": {"type": "integer", "minimum": 1},
                                        "pollingInterval": {"type": "integer", "minimum": 1},
                                        "rules": {"type": "array", "minItems": 1, "items": {
                                            "type": "object", "required": ["name", "type", "metadata"],
                                            "properties": {
                                                "name": {"type": "string"},
                                                "type": {"type": "string"},
                                                "metadata": {"type": "object",
                                                             "additionalProperties": {"type": "string"}},
                                                "auth": {"type": "array", "items": {
                                                    "type": "object",
                                                    "required": ["secretRef", "triggerParameter"],
                                                    "properties": {
                                                        "secretRef": {"type": "string"},
                                                        "triggerParameter": {"type": "string"}}}},
                                            }}},
                                    }},
                            }},
                    }},
                "template": {
                    "type": "object", "required": ["containers"],
                    "properties": {"containers": {"type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["name", "image"],
                        "properties": {
                            "name": {"type": "string"}, "image": {"type": "string"},
                            "args": {"type": "array", "items": {"type": "string"}},
                            "resources": {"type": "object",
                                          "properties": {"cpu": {"type": "number"},
                                                         "memory": {"type": "string"}}},
                            "env": {"type": "array", "items": {
                                "type": "object", "required": ["name"],
                                "properties": {"name": {"type": "string"},
                                               "value": {"type": "string"},
                                               "secretRef": {"type": "string"}}}},
                        }}}}},
            }},
    },
}


class ContainerApps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = read("azure-container-apps", "c42-ship-job.yaml")
        cls.job = yaml.safe_load(cls.text)
        cls.config = cls.job["properties"]["configuration"]
        cls.container = cls.job["properties"]["template"]["containers"][0]
        cls.env = {e["name"]: e.get("value") for e in cls.container["env"]}

    def test_every_key_is_one_the_container_apps_api_knows(self):
        answer = Validators.ask(self, {"kind": "container-apps-job", "document": self.job})
        self.assertEqual(answer["unknown"], [])

    def test_api_model_check_here_does_catch_a_mistake(self):
        broken = copy.deepcopy(self.job)
        broken["properties"]["configuration"]["eventTriggerConfig"]["scale"]["maxExecution"] = 4
        answer = Validators.ask(self, {"kind": "container-apps-job", "document": broken})
        self.assertEqual(answer["unknown"],
                         [".properties.configuration.eventTriggerConfig.scale.maxExecution"])

    def test_fields_have_the_types_the_api_takes(self):
        jsonschema.validate(self.job, CONTAINER_APPS_JOB_SCHEMA)

    def test_event_driven_on_the_runs_own_queue(self):
        rules = self.config["eventTriggerConfig"]["scale"]["rules"]
        self.assertEqual([r["type"] for r in rules], ["aws-sqs-queue"])
        check_sqs_trigger(self, rules[0]["metadata"], self.env["SQS_QUEUE_URL"],
                          self.env["AWS_REGION"])

    def test_replica_timeout_covers_a_run(self):
        self.assertGreater(self.config["replicaTimeout"], longest_run(self.container["args"]))
        self.assertEqual(self.config["replicaRetryLimit"], 0)

    def test_run_uses_the_managed_identity_and_stores_no_key(self):
        identity = self.job["identity"]
        self.assertEqual(identity["type"], "UserAssigned")
        ids = set(identity["userAssignedIdentities"])
        self.assertEqual(len(ids), 1)
        self.assertRegex(self.env["AZURE_CLIENT_ID"], r"^[0-9a-f-]{36}$")
        self.assertRegex(self.env["AWS_ROLE_ARN"], r"^arn:aws:iam::\d{12}:role/")
        self.assertTrue(self.env["C42_AZURE_TOKEN_AUDIENCE"])
        self.assertTrue(all("value" in e for e in self.container["env"]),
                        "no setting comes from a secret")
        shows_no_secret(self, self.text)
        for registry in self.config.get("registries", []):
            self.assertIn(registry["identity"], ids)

    def test_scaler_keys_are_key_vault_references_read_with_the_identity(self):
        ids = set(self.job["identity"]["userAssignedIdentities"])
        secrets = {s["name"]: s for s in self.config["secrets"]}
        for secret in secrets.values():
            self.assertNotIn("value", secret, "a secret's value in the file")
            self.assertRegex(secret["keyVaultUrl"], r"^https://[a-z0-9-]+\.vault\.azure\.net/secrets/")
            self.assertIn(secret["identity"], ids)
        for rule in self.config["eventTriggerConfig"]["scale"]["rules"]:
            for auth in rule.get("auth", []):
                self.assertIn(auth["secretRef"], secrets)
                self.assertIn(auth["triggerParameter"], SQS_SCALER_AUTH)

    def test_driver_accepts_the_environment_and_arguments(self):
        self.assertNotIn("--config", self.container["args"])
        assert_driver_accepts(self, self.container["args"], env=self.env)


class Readme(unittest.TestCase):
    def test_every_recipe_is_explained_in_the_deploy_section(self):
        with open(os.path.join(SOURCE_DIR, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        match = re.search(r"^## Deploy\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
        self.assertIsNotNone(match, "README.md has no Deploy section")
        section = match.group(1)
        for folder in ["cron", "systemd", "container", "kubernetes", "azure-container-apps"]:
            for name in sorted(os.listdir(os.path.join(DEPLOY, folder))):
                if name.endswith(".dockerignore"):
                    continue
                with self.subTest(file=name):
                    self.assertIn("deploy/%s/%s" % (folder, name), section)


if __name__ == "__main__":
    unittest.main()
