"""deploy/sentinel/: the workbook is a JSON document of the Azure Monitor
workbook schema ("Notebook/1.0") whose every query is, character for
character, the text of a .kql file beside it; every .kql file is in the
workbook; and the queries that c42-stream(7) already gives (joining split
lines, counting duplicates) are that page's text, not a variant of it."""

import json
import os
import re
import unittest

SOURCE_DIR = os.environ.get("C42_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SENTINEL = os.path.join(SOURCE_DIR, "deploy", "sentinel")
# .kql files that are a query of c42-stream(7) for a Logs Ingestion table.
FROM_THE_STREAM_PAGE = {
    "split-line-joins.kql": "mv-apply Part = Parts on (",
    "duplicates.kql": "Duplicates = sum(Copies - 1)",
}


def read(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as f:
        return f.read()


def kql_files():
    return sorted(n for n in os.listdir(SENTINEL) if n.endswith(".kql"))


def literal_blocks(mdoc):
    """The text of each .Bd -literal block, with mdoc's escapes undone."""
    blocks = re.findall(r"(?ms)^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", mdoc)
    return [b.replace("\\e", "\\").replace("\\&", "") for b in blocks]


class Workbook(unittest.TestCase):
    def setUp(self):
        # json.loads refuses what is not JSON; duplicate keys would be
        # silently merged, so they are refused too.
        def no_duplicates(pairs):
            keys = [k for k, _ in pairs]
            self.assertEqual(len(keys), len(set(keys)), keys)
            return dict(pairs)

        self.workbook = json.loads(read(SENTINEL, "workbook.json"),
                                   object_pairs_hook=no_duplicates)

    def queries(self):
        return [item for item in self.workbook["items"] if item["type"] == 3]

    def test_is_a_workbook_document(self):
        self.assertEqual(self.workbook["version"], "Notebook/1.0")
        names = [item["name"] for item in self.workbook["items"]]
        self.assertEqual(len(names), len(set(names)), "item names must be unique")
        parameters = [p for item in self.workbook["items"] if item["type"] == 9
                      for p in item["content"]["parameters"]]
        self.assertIn("TimeRange", [p["name"] for p in parameters])
        for item in self.queries():
            with self.subTest(item=item["name"]):
                content = item["content"]
                self.assertEqual(content["version"], "KqlItem/1.0")
                self.assertEqual(content["resourceType"],
                                 "microsoft.operationalinsights/workspaces")
                self.assertEqual(content["timeContextFromParameter"], "TimeRange")
                self.assertTrue(content["title"])

    def test_every_query_is_its_kql_file(self):
        in_workbook = {item["name"] + ".kql": item["content"]["query"] for item in self.queries()}
        self.assertEqual(sorted(in_workbook), kql_files())
        for name, query in in_workbook.items():
            with self.subTest(file=name):
                self.assertEqual(query, read(SENTINEL, name).rstrip("\n"))

    def test_the_stream_pages_queries_are_reused_not_rewritten(self):
        blocks = literal_blocks(read(SOURCE_DIR, "man", "man7", "c42-stream.7"))
        for name, marker in FROM_THE_STREAM_PAGE.items():
            with self.subTest(file=name):
                # The Logs Ingestion table's query: no type suffixes.
                same = [b for b in blocks if marker in b and "Record_Id_s" not in b]
                self.assertEqual(len(same), 1, "c42-stream(7) has one such query")
                self.assertEqual(read(SENTINEL, name), same[0])

    def test_queries_name_the_table_and_only_its_columns(self):
        columns = {"Bucket_Name", "Key", "Actual_Time", "Event_Time", "Raw_Data",
                   "Raw_Data_Base64", "Record_Id", "Part_Number", "Part_Count", "TimeGenerated"}
        for name in kql_files():
            with self.subTest(file=name):
                text = read(SENTINEL, name)
                code = "\n".join(l.split("//")[0] for l in text.splitlines())
                self.assertIn("Code42Logs_CL", code)
                self.assertFalse(re.search(r"\b\w+_[sd]\b", code),
                                 "Data Collector API column names in a Logs Ingestion query")
                used = set(re.findall(r"\b[A-Z][a-z]+(?:_[A-Z][a-z]+)+\b", code))
                self.assertLessEqual(used - columns - {"Key_Prefix", "Part_Count"}, set())


if __name__ == "__main__":
    unittest.main()
