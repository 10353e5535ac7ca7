"""The dependency rules of common/README.md, checked from the include lines:
the basics include none of azure/, aws/, la/, stages/; azure/ includes only
the basics; aws/ and la/ never include each other or stages/; a tool
includes no other tool's files. Every quoted
include names a file that exists."""

import os
import re
import unittest

SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ALLOWED = {
    "basics": {"basics"},
    "azure": {"basics", "azure"},
    "aws": {"basics", "azure", "aws"},
    "la": {"basics", "azure", "la"},
    "stages": {"basics", "azure", "aws", "la", "stages"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer(path):
    """The layer of a repository path such as common/aws/sigv4.h."""
    parts = path.split("/")
    if parts[0] == "common":
        return "basics" if len(parts) == 2 else parts[1]
    if parts[0] == "tools":
        return "tools/" + parts[1] if len(parts) > 2 else "tools"
    return parts[0]


def sources(*roots):
    for root in roots:
        for dirpath, _, files in os.walk(os.path.join(SOURCE_DIR, root)):
            for name in files:
                if name.endswith((".h", ".cpp")):
                    full = os.path.join(dirpath, name)
                    yield os.path.relpath(full, SOURCE_DIR).replace(os.sep, "/")


def includes(path):
    with open(os.path.join(SOURCE_DIR, path), encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


class Layout(unittest.TestCase):
    def test_every_layer_has_files(self):
        # The rules below must not pass because nothing was read.
        seen = {layer(p) for p in sources("common", "tools")}
        for expected in ["basics", "azure", "aws", "la", "stages", "tools"]:
            self.assertIn(expected, seen)

    def test_library_layers_include_only_what_they_may(self):
        broken = []
        for path in sources("common"):
            for target in includes(path):
                if not target.startswith("common/"):
                    broken.append("%s includes %s, outside common/" % (path, target))
                elif layer(target) not in ALLOWED[layer(path)]:
                    broken.append("%s (%s) includes %s (%s)" % (path, layer(path), target,
                                                                layer(target)))
        self.assertEqual(broken, [], "\n".join(broken))

    def test_a_tool_includes_no_other_tool(self):
        broken = []
        for path in sources("tools"):
            own = layer(path)
            for target in includes(path):
                other = layer(target)
                if other.startswith("tools/") and other != own:
                    broken.append("%s includes %s" % (path, target))
        self.assertEqual(broken, [], "\n".join(broken))

    def test_every_quoted_include_exists(self):
        missing = []
        for path in sources("common", "tools", "tests", "bench"):
            for target in includes(path):
                if not os.path.isfile(os.path.join(SOURCE_DIR, target)):
                    missing.append("%s includes %s" % (path, target))
        self.assertEqual(missing, [], "\n".join(missing))

    def test_the_rules_catch_a_violation(self):
        self.assertNotIn(layer("common/stages/poster.h"), ALLOWED[layer("common/la/x.h")])
        self.assertNotIn(layer("common/aws/sigv4.h"), ALLOWED[layer("common/http.h")])
        self.assertNotIn(layer("common/la/shared_key.h"), ALLOWED[layer("common/aws/x.h")])
        self.assertNotIn(layer("common/aws/sigv4.h"), ALLOWED[layer("common/azure/x.h")])


if __name__ == "__main__":
    unittest.main()
