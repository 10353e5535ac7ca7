"""The manual pages against the programs they describe.

For every tool and the c42-ship driver: each long option --help prints is
documented in the page's OPTIONS section (and each option documented there
exists), the environment variables the program reads are in ENVIRONMENT,
mandoc -Tlint finds nothing to warn about, the page has its sections, and
EXIT STATUS lists exactly the statuses of common/exit_codes.h the tool can
return. c42-stream(7) must cover every control line kind and member, the
record and row members, all exit statuses and, like c42-transform(1), the
KQL of common/stages/transform.h for the Data Collector API's table and the
same query for a Logs Ingestion API table, whose columns have no suffixes.
Finally --help, --version and an unknown option behave as the pages say.

Environment: C42_SOURCE_DIR (the repository; default: found from this file)
and C42_BIN_DIR (the CMake build directory holding the tools; the tests that
run tools are skipped when it is unset).
"""

import os
import re
import shutil
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("C42_BIN_DIR", "")
MANDOC = shutil.which("mandoc")
MANDOC_MISSING = "mandoc is not installed (CI installs it: apt-get install mandoc)"

# Every folder under tools/ is a tool with its own man page.
TOOLS = sorted(d for d in os.listdir(os.path.join(SOURCE_DIR, "tools"))
               if os.path.isdir(os.path.join(SOURCE_DIR, "tools", d)))
DRIVER = "c42-ship"
PROGRAMS = TOOLS + [DRIVER]
STREAM_PAGE = "c42-stream"

SECTION1 = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "EXIT STATUS",
            "EXAMPLES", "SEE ALSO"]
SECTION7 = ["NAME", "DESCRIPTION", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES", "SEE ALSO"]

# What the AWS code in common/aws reads, by the service a tool talks to.
# The help texts name only some of these, so they are listed here.
AWS_COMMON = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
              "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
              # The rest of the credentials chain (common/aws/default_chain.h).
              "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
              "C42_AZURE_TOKEN_AUDIENCE", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
              "AWS_CONFIG_FILE", "HOME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
              "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
              "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
              "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
              "AWS_ENDPOINT_URL_STS"]
# tools/tool_support.cpp reads C42_DRIVER_PID in every tool.
EDGE = ["C42_DRIVER_PID"]
# What the Microsoft Entra token sources in common/azure read (la-post's
# Logs Ingestion API, and the AWS tools' Azure identity exchanged at STS).
AZURE_IDENTITY = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
                  "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT",
                  "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST"]
ENV_READ = {
    "sqs-poll": EDGE + AWS_COMMON + AZURE_IDENTITY + ["AWS_ENDPOINT_URL_SQS", "SQS_QUEUE_URL"],
    "s3-fetch": EDGE + AWS_COMMON + AZURE_IDENTITY + ["AWS_ENDPOINT_URL_S3",
                                                      "AWS_S3_FORCE_PATH_STYLE"],
    "c42-transform": EDGE + ["LA_API"],
    "la-post": EDGE + AZURE_IDENTITY + [
        "LA_API", "LA_INGESTION_ENDPOINT", "LA_DCR_ID", "LA_STREAM", "LA_TOKEN_SCOPE",
        "LA_WORKSPACE_ID", "LA_SHARED_KEY", "LA_LOG_TYPE", "LA_ENDPOINT"],
    "sqs-ack": EDGE + AWS_COMMON + AZURE_IDENTITY + ["AWS_ENDPOINT_URL_SQS", "SQS_QUEUE_URL",
                                                     "AWS_ENDPOINT_URL_S3",
                                                     "AWS_S3_FORCE_PATH_STYLE"],
    "s3-list": EDGE + AWS_COMMON + AZURE_IDENTITY + ["AWS_ENDPOINT_URL_S3",
                                                     "AWS_S3_FORCE_PATH_STYLE"],
    "c42-ship": [],
}

# Values the required options take from the environment, so that an
# unknown option, not a missing one, is what the tools complain about.
REQUIRED_ENV = {
    "SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/docs-test",
    "LA_WORKSPACE_ID": "12345678-90ab-cdef-1234-567890abcdef",
    "LA_LOG_TYPE": "DocsTest",
}
BAD_OPTION = "--no-such-option-for-docs-test"


def source(*parts):
    with open(os.path.join(SOURCE_DIR, *parts), encoding="utf-8") as f:
        return f.read()


def page_path(name):
    section = "7" if name == STREAM_PAGE else "1"
    return os.path.join(SOURCE_DIR, "man", "man" + section, "%s.%s" % (name, section))


def page(name):
    with open(page_path(name), encoding="utf-8") as f:
        return f.read()


def sections(text):
    """Maps each .Sh title of an mdoc source to the source lines under it."""
    result, current = {}, None
    for line in text.splitlines():
        m = re.match(r'^\.Sh\s+"?(.*?)"?\s*$', line)
        if m:
            current = m.group(1)
            result[current] = []
        elif current is not None:
            result[current].append(line)
    return {k: "\n".join(v) for k, v in result.items()}


def exit_codes():
    """{name: value} of the Outcome enum in common/exit_codes.h."""
    codes = dict((n, int(v)) for n, v in
                 re.findall(r"^\s*(k\w+)\s*=\s*(\d+),", source("common", "exit_codes.h"), re.M))
    if not codes:
        raise AssertionError("no Outcome kName = N found in common/exit_codes.h")
    return codes


# The stage cores each tool runs; what a core returns, the tool can too.
CORES = {"sqs-poll": ["poller"], "s3-fetch": ["fetcher"], "c42-transform": ["transform"],
         "la-post": ["poster"], "sqs-ack": ["acker"], "s3-list": ["lister", "listing_checkpoint"]}


def documented_statuses(section_text):
    """The statuses an EXIT STATUS section lists as '.It N' items."""
    return set(int(n) for n in re.findall(r"^\.It\s+(?:Li\s+)?(\d+)\s*$", section_text, re.M))


def program_path(name):
    if name == DRIVER:
        return os.path.join(SOURCE_DIR, "scripts", DRIVER)
    return os.path.join(BIN_DIR, name)


def run(name, args, extra_env=None):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    env.update(extra_env or {})
    return subprocess.run([program_path(name)] + args, stdin=subprocess.DEVNULL,
                          capture_output=True, env=env, timeout=60)


_help_cache = {}


def help_text(name):
    if name not in _help_cache:
        r = run(name, ["--help"])
        if r.returncode != 0:
            raise AssertionError("%s --help exited %d: %s" % (name, r.returncode, r.stderr.decode()))
        _help_cache[name] = r.stdout.decode()
    return _help_cache[name]


def help_options(text):
    """Long options at the start of the option lines of a --help text (CLI11's
    '  -h,--help', '  --wait INT', or the driver's '  --budget SECONDS');
    continuation lines are indented further and never start with '--'."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^ {1,8}(?:-\w,\s*)?(--[A-Za-z0-9][A-Za-z0-9-]*)", line)
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def option_pattern(option):
    """An mdoc source mention of a long option: 'Fl -name', 'Fl \\-name' or
    the literal '--name' / '\\-\\-name'. ('.Fl name' would print '-name'.)"""
    name = re.escape(option[2:])
    return re.compile(r"(?:\bFl\s+\\?-|--|\\-\\-)%s(?![\w-])" % name)


def render(name):
    """The page as the terminal shows it, without overstriking, unwrapped."""
    r = subprocess.run([MANDOC, "-Tascii", "-Owidth=400", page_path(name)],
                       capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("mandoc failed on %s: %s" % (name, r.stderr.decode()))
    return re.sub(r".\x08", "", r.stdout.decode("ascii", "replace"))


def rendered_section(rendered, title):
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n|\Z)" % re.escape(title), rendered, re.M | re.S)
    return m.group(1) if m else ""


def env_names(text):
    return set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", text))


class PagesExist(unittest.TestCase):
    def test_every_page_exists(self):
        for name in PROGRAMS + [STREAM_PAGE]:
            with self.subTest(page=name):
                self.assertTrue(os.path.isfile(page_path(name)), page_path(name))


class Sections(unittest.TestCase):
    def test_required_sections(self):
        for name in PROGRAMS + [STREAM_PAGE]:
            required = SECTION7 if name == STREAM_PAGE else SECTION1
            with self.subTest(page=name):
                found = sections(page(name))
                missing = [s for s in required if s not in found]
                self.assertEqual(missing, [], "%s lacks sections %s" % (name, missing))
                for s in required:
                    self.assertTrue(found[s].strip(), "%s: section %s is empty" % (name, s))

    def test_header_names_the_page(self):
        for name in PROGRAMS + [STREAM_PAGE]:
            section = "7" if name == STREAM_PAGE else "1"
            with self.subTest(page=name):
                text = page(name)
                self.assertRegex(text, r"(?m)^\.Dd\s+\S")
                self.assertRegex(text, r"(?m)^\.Dt\s+%s\s+%s\s*$" % (re.escape(name.upper()), section))
                self.assertRegex(text, r"(?m)^\.Nm\s+%s\s*$" % re.escape(name))


@unittest.skipUnless(MANDOC, MANDOC_MISSING)
class Lint(unittest.TestCase):
    def test_mandoc_lint_is_silent(self):
        for name in PROGRAMS + [STREAM_PAGE]:
            with self.subTest(page=name):
                r = subprocess.run([MANDOC, "-Tlint", "-W", "warning", page_path(name)],
                                   capture_output=True, timeout=60)
                out = (r.stdout + r.stderr).decode()
                self.assertEqual(out, "", "mandoc -Tlint -W warning %s:\n%s" % (name, out))
                self.assertEqual(r.returncode, 0)


class ExitStatus(unittest.TestCase):
    def tool_statuses(self, tool):
        """The statuses a tool can return: the Outcome names its own sources,
        the shared command-line edge, the stage input loop and its stage
        core use."""
        codes = exit_codes()
        text = "".join(source("tools", tool, f) for f in
                       sorted(os.listdir(os.path.join(SOURCE_DIR, "tools", tool)))
                       if f.endswith((".cpp", ".h")))
        # A configuration error (4) comes from the tool's own checks, though
        # the shared edge is where it becomes a status.
        own = set(re.findall(r"\b(?:Outcome|ErrorKind)::(kConfig)\b", text))
        core = "".join(source("common", "stages", c + ".cpp") for c in CORES[tool])
        if "StageInput" in core:
            core += source("common", "stages", "stage_input.cpp")
        edge = source("tools", "tool_support.cpp") + source("tools", "tool_support.h")
        names = set(re.findall(r"\bOutcome::(k\w+)\b", text + core)) | own
        names |= set(re.findall(r"\bOutcome::(k\w+)\b", edge)) - {"kConfig"}
        unknown = names - set(codes)
        self.assertEqual(unknown, set(), "%s uses statuses missing from exit_codes.h" % tool)
        return set(codes[n] for n in names)

    def test_tool_pages_list_the_statuses_the_tool_returns(self):
        header_values = set(exit_codes().values())
        for tool in TOOLS:
            with self.subTest(tool=tool):
                used = self.tool_statuses(tool) | {0, 2}
                listed = documented_statuses(sections(page(tool)).get("EXIT STATUS", ""))
                self.assertTrue({0, 2} <= listed, "%s(1) EXIT STATUS lacks 0 or 2" % tool)
                self.assertEqual(sorted(used - listed), [],
                                 "%s(1) EXIT STATUS lacks statuses the tool returns" % tool)
                self.assertEqual(sorted(listed - header_values), [],
                                 "%s(1) lists statuses exit_codes.h does not define" % tool)
                self.assertEqual(sorted(listed - used), [],
                                 "%s(1) lists statuses the tool never returns" % tool)

    def test_stream_page_lists_every_status(self):
        listed = documented_statuses(sections(page(STREAM_PAGE)).get("EXIT STATUS", ""))
        missing = sorted(set(exit_codes().values()) - listed)
        self.assertEqual(missing, [], "c42-stream(7) EXIT STATUS lacks %s" % missing)

    def test_driver_page_lists_the_driver_statuses(self):
        script = source("scripts", DRIVER)
        statuses = set(int(n) for n in re.findall(r"\b(?:exit|status=)\s*(\d+)\b", script))
        m = re.search(r"Exit status:(.*?)(?:\n\s*\n|EOF)", script, re.S)
        self.assertIsNotNone(m, "the driver's usage text has no 'Exit status:' paragraph")
        statuses |= set(int(n) for n in re.findall(r"(?:^|[:;])\s*(\d+)\s", m.group(1)))
        self.assertTrue({0, 2} <= statuses, statuses)
        listed = documented_statuses(sections(page(DRIVER)).get("EXIT STATUS", ""))
        self.assertEqual(sorted(statuses - listed), [],
                         "c42-ship(1) EXIT STATUS lacks statuses the driver returns")


class StreamContract(unittest.TestCase):
    """c42-stream(7) names every kind of control line, every member the code
    writes, and carries the KQL from common/stages/transform.h."""

    def setUp(self):
        self.text = page(STREAM_PAGE)

    def assertMentioned(self, words, what):
        missing = sorted(w for w in words if not re.search(r"(?<![\w@])%s(?!\w)" % re.escape(w),
                                                            self.text))
        self.assertEqual(missing, [], "c42-stream(7) does not mention %s %s" % (what, missing))

    def test_control_lines(self):
        stream = source("common", "stream.cpp")
        poster = source("common", "stages", "poster.cpp")
        kinds = set(re.findall(r'\bcontrol\("(\w+)"\)', stream))
        kinds |= set(re.findall(r'\[kControlKey\]\s*=\s*"(\w+)"', poster))
        self.assertTrue({"message", "begin", "end", "result", "stats"} <= kinds, kinds)
        self.assertMentioned(kinds, "control line kinds")
        for kind in kinds:
            self.assertRegex(self.text, r"(?m)^\.It Cm %s\s*$" % kind,
                             "c42-stream(7) has no entry for '%s' lines" % kind)
        fields = set(re.findall(r'\bv\["(\w+)"\]', stream))
        fields |= set(re.findall(r'\bsummary\["(\w+)"\]', poster))
        self.assertTrue({"queue_url", "receipt_handle", "ok", "delivered", "action"} <= fields)
        self.assertMentioned(fields, "control line members")
        for action in [
                "deleted", "quarantined", "kept", "released", "delete-failed", "release-failed"]:
            self.assertIn(action, source("common", "stages", "acker.cpp"))
            self.assertMentioned([action], "result actions")

    def test_records_and_rows(self):
        record = set(re.findall(r'\\"(\w+)\\":', source("common", "source_record.cpp")))
        self.assertTrue({"bucket", "key", "event_time", "index", "line", "line_b64"} <= record,
                        record)
        self.assertMentioned(record, "source record members")
        row = set(re.findall(r'\\"(\w+)\\":', source("common", "stages", "transform.cpp")))
        expected = {"Bucket_Name", "Key", "Actual_Time", "Event_Time", "Raw_Data",
                    "Raw_Data_Base64", "Record_Id", "Part_Number", "Part_Count"}
        self.assertTrue(expected <= row, row)
        self.assertMentioned(row, "row members")

    def test_kql_matches_transform_h(self):
        header = source("common", "stages", "transform.h").splitlines()
        start = next(i for i, l in enumerate(header) if l.strip() == "//   Code42Logs_CL")
        kql = []
        for line in header[start:]:
            if not line.startswith("//   "):
                break
            kql.append(line[2:].strip())
        self.assertGreater(len(kql), 5)
        self.assertTrue(kql[-1].startswith("| project"), kql[-1])
        # A DCR-based table has the rows' members as columns, without the
        # type suffixes (_s, _d) the Data Collector API adds: the same query
        # with the plain names.
        dcr_kql = [re.sub(r"\b([A-Za-z]\w*)_[sd]\b", r"\1", line) for line in kql]
        self.assertNotEqual(dcr_kql, kql)
        self.assertFalse([l for l in dcr_kql if re.search(r"_[sd]\b", l)], dcr_kql)
        # Both pages carry both queries, the Data Collector one first;
        # c42-transform(1) is where people look.
        for name in [STREAM_PAGE, "c42-transform"]:
            doc = [l.replace("\\e", "\\").replace("\\&", "").strip()
                   for l in page(name).splitlines()]
            pos = 0
            for what, query in [("common/stages/transform.h", kql),
                                ("the Logs Ingestion API table", dcr_kql)]:
                for line in query:
                    try:
                        pos = doc.index(line, pos) + 1
                    except ValueError:
                        self.fail("%s lacks this KQL line of %s (or has it out of order): %s"
                                  % (name, what, line))

    def test_kql_removing_duplicates_for_both_tables(self):
        # c42-transform --row-id gives every row the id the queries key on;
        # one query per table, keyed on the id and the part, for whole rows
        # and split parts alike.
        doc = " ".join(l.strip() for l in self.text.splitlines())
        self.assertIn("c42-transform --row-id", doc)
        for table in [r"Record_Id_s, Part = tostring\(column_ifexists\(\"Part_Number_d\"",
                      r"Record_Id, Part = tostring\(Part_Number\)"]:
            self.assertRegex(doc, r"summarize arg_min\(TimeGenerated, \*\)\s+by " + table)
        self.assertIn("--row-id", source("tools", "c42-transform", "options.cpp"))

    def test_delivery_guarantee_on_the_pages_users_read(self):
        # c42-ship(1) and sqs-ack(1) state the guarantee and carry the same
        # queries that remove duplicates as c42-stream(7), not a variant.
        def dedupe_queries(text):
            blocks = re.findall(r"(?ms)^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", text)
            return [b for b in blocks if "arg_min(TimeGenerated, *)" in b and "Record_Id" in b]

        queries = dedupe_queries(self.text)
        self.assertEqual(len(queries), 2, "c42-stream(7): one query per table")
        for name in [STREAM_PAGE, DRIVER, "sqs-ack"]:
            with self.subTest(page=name):
                text = page(name)
                self.assertRegex(text, r"(?m)^\.Ss Delivery guarantees?$")
                self.assertIn("at least once", text)
                self.assertIn("more than once exactly when", " ".join(text.split()))
                self.assertEqual(dedupe_queries(text), queries)

    def test_guarantees_and_line_rules(self):
        for phrase in ["U+2028", "U+2029", "blank lines", "without a line feed",
                       "Duplicates are possible, loss is not", "unchanged and in the order"]:
            self.assertIn(phrase, self.text)


@unittest.skipUnless(BIN_DIR, "C42_BIN_DIR is not set (CTest sets it to the build directory)")
class Programs(unittest.TestCase):
    def test_programs_exist(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                self.assertTrue(os.access(program_path(name), os.X_OK),
                                "%s is missing or not executable" % program_path(name))

    def test_help(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                r = run(name, ["--help"])
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stderr, b"")
                self.assertIn("--help", r.stdout.decode())

    def test_version(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                r = run(name, ["--version"])
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertRegex(r.stdout.decode(), r"^%s \d+\.\d+" % re.escape(name))

    def test_unknown_option(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                r = run(name, [BAD_OPTION], REQUIRED_ENV)
                err = r.stderr.decode()
                self.assertEqual(r.returncode, 2, err)
                self.assertEqual(r.stdout, b"")
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertTrue(err.endswith("\n"), err)
                self.assertIn("try '%s --help'" % name, err)
                self.assertIn(BAD_OPTION, err)
                self.assertTrue(err.startswith(name + ": error: "), err)

    def test_options_are_documented(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                options = help_options(help_text(name))
                self.assertIn("--help", options)
                self.assertIn("--version", options)
                section = sections(page(name)).get("OPTIONS", "")
                missing = [o for o in options if not option_pattern(o).search(section)]
                self.assertEqual(missing, [], "%s(1) OPTIONS lacks %s" % (name, missing))
                if "-h," in help_text(name):
                    self.assertRegex(section, r"\bFl h\b")

    def test_documented_options_exist(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                options = set(help_options(help_text(name)))
                section = sections(page(name)).get("OPTIONS", "")
                items = re.findall(r"^\.It Fl \\?-([A-Za-z0-9][\w-]*)", section, re.M)
                stale = sorted("--" + o for o in items if "--" + o not in options)
                self.assertEqual(stale, [], "%s(1) documents options --help lacks" % name)

    @unittest.skipUnless(MANDOC, MANDOC_MISSING)
    def test_rendered_options(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                shown = rendered_section(render(name), "OPTIONS")
                self.assertTrue(shown, "%s(1) renders no OPTIONS section" % name)
                for option in help_options(help_text(name)):
                    self.assertRegex(shown, r"(?<![\w-])%s(?![\w-])" % re.escape(option),
                                     "%s(1) does not show %s" % (name, option))

    def test_environment_is_documented(self):
        for name in PROGRAMS:
            with self.subTest(program=name):
                wanted = set(ENV_READ[name]) | env_names(help_text(name))
                if name in TOOLS:
                    main = source("tools", name, "main.cpp")
                    wanted |= set(re.findall(r'(?:envname|env\.get)\("([A-Z0-9_]+)"\)', main))
                section = sections(page(name)).get("ENVIRONMENT", "")
                documented = set(re.findall(r"\bEv\s+([A-Z][A-Z0-9_]*)", section))
                self.assertEqual(sorted(wanted - documented), [],
                                 "%s(1) ENVIRONMENT lacks variables" % name)


if __name__ == "__main__":
    unittest.main()
