"""Installing c42-ship: `cmake --install` and the Debian package of
`cpack -G DEB`, as an operator gets them.

Once for the module, the build directory is installed into a temporary
prefix and packaged by cpack into a temporary directory, and the package is
unpacked with `dpkg -x` into a scratch root. The tests then check the layout
(every tool and the driver in bin/, the man pages in share/man/man1 and
man7, the README and the example settings in share/doc/c42-ship/), the
package's control fields and that its Depends name the package of every
shared library the tools need (libisal2 exactly when s3-fetch links ISA-L),
and, from the scratch root, that every program answers --help and
--version (one version and the build's git revision everywhere), that
`man -l` renders every page and `man c42-ship` finds it, and that the
installed driver accepts every setting of the example file.

Not under the sanitizers (label install): packaging a sanitized build
proves nothing.

Environment: C42_BIN_DIR (the CMake build directory; the tests are skipped
when it is unset) and C42_SOURCE_DIR (the repository).
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BIN_DIR = os.environ.get("C42_BIN_DIR", "")

# Every folder under tools/ is a tool (CMakeLists.txt reads the same list).
TOOLS = sorted(d for d in os.listdir(os.path.join(SOURCE_DIR, "tools"))
               if os.path.isdir(os.path.join(SOURCE_DIR, "tools", d)))
DRIVER = "c42-ship"
PROGRAMS = TOOLS + [DRIVER]
PAGES = sorted(os.path.relpath(p, os.path.join(SOURCE_DIR, "man"))
               for p in glob.glob(os.path.join(SOURCE_DIR, "man", "man[1-9]", "*.[1-9]")))
DOCS = ["README.md", "c42-ship.conf.example"]
# The runtime packages of the libraries the tools link; libisal2 only with ISA-L.
LIBRARY_PACKAGES = ["libcurl4", "libssl3", "libjsoncpp25", "zlib1g"]
# What the driver runs: bash itself, mktemp, mkfifo and tee, grep, awk.
DRIVER_PACKAGES = ["bash", "coreutils", "grep"]
# Settings whose values are secrets: the example may name them, never fill them in.
SECRETS = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
           "LA_SHARED_KEY", "AZURE_CLIENT_SECRET", "IDENTITY_HEADER"]
SETTING_LINE = re.compile(r"^(#)?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=(.*)$")


def run(args, **kwargs):
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("timeout", 120)
    return subprocess.run(args, stdin=subprocess.DEVNULL, **kwargs)


def checked(args, **kwargs):
    r = run(args, **kwargs)
    if r.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(args), r.returncode,
                                                   r.stderr.decode(errors="replace")))
    return r.stdout.decode()


def clean_env(**extra):
    """Only PATH and the locale, so that nothing of CTest's environment (such
    as C42_BIN_DIR) reaches the installed programs."""
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C"}
    env.update(extra)
    return env


def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        return re.search(r"project\(c42-ship VERSION (\S+)", f.read()).group(1)


def expected_revision():
    """What `git rev-parse --short HEAD` says of the sources, or 'unknown'
    when they are not a git checkout of their own."""
    r = run(["git", "--git-dir=" + os.path.join(SOURCE_DIR, ".git"), "rev-parse", "--short", "HEAD"])
    revision = r.stdout.decode().strip() if r.returncode == 0 else ""
    return revision or "unknown"


def files_under(root):
    found = set()
    for dirpath, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found


def depends_names(depends):
    """Package names of a Depends field, alternatives included:
    'libc6 (>= 2.34), mawk | awk' gives {'libc6', 'mawk', 'awk'}."""
    return {re.match(r"\s*([a-z0-9][a-z0-9+.-]*)", alt).group(1)
            for item in depends.split(",") for alt in item.split("|")}


def needed_libraries(binary):
    out = checked(["readelf", "-d", binary])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def owning_package(path):
    """The Debian package that holds a library path, trying the path with and
    without /usr, since /lib and /usr/lib are one directory on merged-/usr
    systems but dpkg knows each file by the name its package gave it."""
    candidates = [path, "/usr" + path] if not path.startswith("/usr/") else [path, path[4:]]
    for candidate in candidates:
        r = run(["dpkg-query", "-S", candidate])
        if r.returncode == 0:
            # 'libcurl4:amd64: /usr/lib/x86_64-linux-gnu/libcurl.so.4'
            return r.stdout.decode().split(":")[0].split(",")[0].strip()
    return None


@unittest.skipUnless(BIN_DIR, "C42_BIN_DIR is not set (CTest sets it to the build directory)")
@unittest.skipIf(os.environ.get("C42_SANITIZE"), "a sanitized build is not packaged")
class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for program in ["cpack", "dpkg-deb", "dpkg-shlibdeps", "readelf"]:
            if not shutil.which(program):
                raise unittest.SkipTest("%s is missing (scripts/packages lists its package)"
                                        % program)
        cls.tmp = tempfile.mkdtemp(prefix="c42-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        checked(["cmake", "--install", BIN_DIR, "--prefix", cls.prefix])
        packages = os.path.join(cls.tmp, "packages")
        checked(["cpack", "-G", "DEB", "-B", packages,
                 "--config", os.path.join(BIN_DIR, "CPackConfig.cmake")], cwd=cls.tmp)
        debs = glob.glob(os.path.join(packages, "*.deb"))
        if len(debs) != 1:
            raise AssertionError("cpack made %s, not one .deb" % debs)
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        checked(["dpkg", "-x", cls.deb, cls.root])
        cls.usr = os.path.join(cls.root, "usr")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def expected_files(self):
        return ({os.path.join("bin", p) for p in PROGRAMS}
                | {os.path.join("share", "man", p) for p in PAGES}
                | {os.path.join("share", "doc", "c42-ship", d) for d in DOCS})

    def field(self, name):
        return checked(["dpkg-deb", "-f", self.deb, name]).strip()

    def test_install_layout(self):
        self.assertEqual(files_under(self.prefix), self.expected_files())
        for program in PROGRAMS:
            with self.subTest(program=program):
                self.assertTrue(os.access(os.path.join(self.prefix, "bin", program), os.X_OK))

    def test_package_holds_the_same_files_under_usr(self):
        self.assertEqual(set(os.listdir(self.root)), {"usr"})
        self.assertEqual(files_under(self.usr), self.expected_files())
        for program in PROGRAMS:
            with self.subTest(program=program):
                self.assertTrue(os.access(os.path.join(self.usr, "bin", program), os.X_OK))

    def test_control_fields(self):
        self.assertEqual(self.field("Package"), "c42-ship")
        self.assertEqual(self.field("Version"), project_version())
        self.assertEqual(self.field("Architecture"),
                         checked(["dpkg", "--print-architecture"]).strip())
        self.assertEqual(self.field("Section"), "admin")
        self.assertTrue(self.field("Maintainer"))
        description = self.field("Description").splitlines()
        self.assertIn("Log Analytics", description[0])
        self.assertGreater(len(description), 1, "no long description")
        self.assertNotIn(description[0], description[1], "the summary twice")

    def test_depends_name_every_runtime_package(self):
        depends = self.field("Depends")
        names = depends_names(depends)
        for package in LIBRARY_PACKAGES + DRIVER_PACKAGES:
            self.assertIn(package, names, depends)
        self.assertTrue({"mawk", "awk"} & names, depends)
        # ISA-L exactly when the build linked it.
        with_isal = any(lib.startswith("libisal.")
                        for lib in needed_libraries(os.path.join(self.usr, "bin", "s3-fetch")))
        self.assertEqual("libisal2" in names, with_isal, depends)

    def test_depends_cover_every_library_the_tools_need(self):
        names = depends_names(self.field("Depends"))
        for tool in TOOLS:
            binary = os.path.join(self.usr, "bin", tool)
            resolved = dict(re.findall(r"^\s*(\S+) => (/\S+)", checked(["ldd", binary]), re.M))
            for library in needed_libraries(binary):
                with self.subTest(tool=tool, library=library):
                    self.assertIn(library, resolved, "ldd cannot find it")
                    package = owning_package(resolved[library])
                    self.assertIsNotNone(package, "no package holds " + resolved[library])
                    self.assertIn(package, names)

    def test_help_and_version_from_the_package(self):
        version_line = "%s (git %s)" % (project_version(), expected_revision())
        for program in PROGRAMS:
            path = os.path.join(self.usr, "bin", program)
            with self.subTest(program=program):
                r = run([path, "--help"], env=clean_env())
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stderr, b"")
                self.assertIn("--version", r.stdout.decode())
                r = run([path, "--version"], env=clean_env())
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stderr, b"")
                self.assertEqual(r.stdout.decode(), "%s %s\n" % (program, version_line))

    def test_installed_and_checkout_versions_agree(self):
        """cmake --install gives what the package holds, and the driver run
        from the checkout names the same version and revision."""
        paths = [os.path.join(self.prefix, "bin", p) for p in PROGRAMS]
        paths.append(os.path.join(SOURCE_DIR, "scripts", DRIVER))
        for path in paths:
            with self.subTest(path=path):
                r = run([path, "--version"], env=clean_env())
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stdout.decode().split(" ", 1)[1],
                                 "%s (git %s)\n" % (project_version(), expected_revision()))

    @unittest.skipUnless(shutil.which("man"), "man is missing (scripts/packages lists man-db)")
    def test_man_renders_every_page(self):
        env = clean_env(MANPAGER="cat", PAGER="cat", MANWIDTH="80")
        for page in PAGES:
            path = os.path.join(self.usr, "share", "man", page)
            name = os.path.basename(page).rsplit(".", 1)[0]
            with self.subTest(page=page):
                r = run(["man", "-l", path], env=env)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(r.stderr, b"")
                text = re.sub(r".\x08", "", r.stdout.decode(errors="replace"))
                self.assertRegex(text, r"(?m)^NAME\n\s+%s " % re.escape(name))
                self.assertRegex(text, r"(?m)^SEE ALSO$")
        # Found by name, as `man c42-ship` finds it once the package is installed.
        r = run(["man", "-M", os.path.join(self.usr, "share", "man"), "-w", DRIVER], env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout.decode().strip(),
                         os.path.join(self.usr, "share", "man", "man1", DRIVER + ".1"))

    def test_every_program_has_its_page(self):
        self.assertEqual(sorted(os.listdir(os.path.join(self.usr, "bin"))),
                         sorted(os.path.basename(p).rsplit(".", 1)[0]
                                for p in glob.glob(os.path.join(self.usr, "share", "man",
                                                                "man1", "*.1"))))

    def example(self):
        with open(os.path.join(self.usr, "share", "doc", "c42-ship",
                               "c42-ship.conf.example")) as f:
            return f.read().splitlines()

    def test_example_names_every_setting_and_no_secret(self):
        driver = os.path.join(self.usr, "bin", DRIVER)
        help_text = checked([driver, "--help"], env=clean_env())
        settings_text = help_text[help_text.index("\nSettings"):help_text.index("\nExit status")]
        settings = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", settings_text))
        named = {}
        for line in self.example():
            m = SETTING_LINE.match(line)
            if m:
                self.assertNotIn(m.group(2), named, "named twice: " + m.group(2))
                named[m.group(2)] = (m.group(1), m.group(3))
        self.assertEqual(set(named), settings)
        for secret in SECRETS:
            with self.subTest(secret=secret):
                self.assertEqual(named[secret], ("#", ""))

    def test_every_setting_of_the_example_is_commented(self):
        previous = ""
        for line in self.example():
            if SETTING_LINE.match(line):
                with self.subTest(line=line):
                    # The setting, or the group of settings it belongs to,
                    # follows a line of explanation.
                    self.assertTrue(SETTING_LINE.match(previous) or
                                    re.match(r"^# \S", previous), previous)
            previous = line

    def test_driver_accepts_the_example(self):
        """The installed driver reads the example as it is and with every
        setting uncommented: it stops only at the queue URL the environment
        empties, after reading the file, never at an unknown setting."""
        lines = self.example()
        uncommented = [line.lstrip("#") if SETTING_LINE.match(line) else line for line in lines]
        for name, content in [("as-is", lines), ("uncommented", uncommented)]:
            path = os.path.join(self.tmp, name + ".conf")
            with open(path, "w") as f:
                f.write("\n".join(content) + "\n")
            with self.subTest(example=name):
                r = run([os.path.join(self.usr, "bin", DRIVER), "--config", path],
                        env=clean_env(SQS_QUEUE_URL=""))
                self.assertEqual(r.stderr.decode(), "c42-ship: error: SQS_QUEUE_URL is not set\n")
                self.assertEqual(r.returncode, 4)


class Revision(unittest.TestCase):
    """cmake/c42_revision.cmake, which every build runs, on a copy of the
    driver in a source folder of its own."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="c42-revision-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.source = os.path.join(self.tmp, "source")
        self.binary = os.path.join(self.tmp, "build")
        os.makedirs(os.path.join(self.source, "scripts"))
        shutil.copy(os.path.join(SOURCE_DIR, "scripts", DRIVER),
                    os.path.join(self.source, "scripts", DRIVER))

    def generate(self, version=None, source=None):
        return run(["cmake", "-DSOURCE_DIR=" + (source or self.source),
                    "-DBINARY_DIR=" + self.binary,
                    "-DVERSION=" + (version or project_version()),
                    "-P", os.path.join(SOURCE_DIR, "cmake", "c42_revision.cmake")])

    def generated(self, name):
        return os.path.join(self.binary, "generated", name)

    def test_outside_a_checkout_the_revision_is_unknown(self):
        r = self.generate()
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(self.generated("c42_revision.cpp")) as f:
            self.assertIn('kGitRevision[] = "unknown";', f.read())
        os.chmod(self.generated(DRIVER), 0o755)
        r = run([self.generated(DRIVER), "--version"], env=clean_env())
        self.assertEqual(r.stdout.decode(), "c42-ship %s (git unknown)\n" % project_version())

    def test_in_the_checkout_the_revision_is_head(self):
        r = self.generate(source=SOURCE_DIR)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(self.generated("c42_revision.cpp")) as f:
            self.assertIn('kGitRevision[] = "%s";' % expected_revision(), f.read())
        with open(self.generated(DRIVER)) as f:
            self.assertIn("\nreadonly REVISION=%s\n" % expected_revision(), f.read())

    def test_unchanged_files_are_not_written_again(self):
        self.assertEqual(self.generate().returncode, 0)
        before = [os.stat(self.generated(n)).st_mtime_ns for n in ["c42_revision.cpp", DRIVER]]
        os.utime(self.generated(DRIVER), ns=(1, 1))
        os.utime(self.generated("c42_revision.cpp"), ns=(1, 1))
        self.assertEqual(self.generate().returncode, 0)
        after = [os.stat(self.generated(n)).st_mtime_ns for n in ["c42_revision.cpp", DRIVER]]
        self.assertEqual(after, [1, 1], "rewritten although unchanged (was %s)" % before)

    def test_the_driver_must_carry_the_project_version(self):
        r = self.generate(version="9.9.9")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("make them equal", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
