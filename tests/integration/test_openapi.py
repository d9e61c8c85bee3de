#!/usr/bin/env python3
"""The OpenAPI document against the running server, so that it cannot drift:
  - GET /openapi.json serves src/http/openapi.json, and GET /docs lists every path, summary and schema of it;
  - every route the server lists in GET /info is in the document, and every path of the document answers;
  - every example is replayed: its request (the request body example of the same name, the path with
    the parameters' examples, or the example's x-path) must get the example's status, a body valid
    against the documented schema (python3-jsonschema, JSON Schema 2020-12 as OpenAPI 3.1 uses), and
    the example's value itself, apart from request_id and timing;
  - every documented GET without examples answers 200 with a body valid against its schema.
The examples are answers of the bundled model (models/uninlu-cluener), which this test serves; when the
model changes, tools/refresh_openapi_examples.py rewrites them.
  python3 tests/integration/test_openapi.py --binary build/src/cli/uninlu [-v]
"""
import argparse
import copy
import html
import json
import os
import re
import sys
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_http  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENT = os.path.join(REPO, "src", "http", "openapi.json")
BUNDLED_MODEL = os.path.join(REPO, "models", "uninlu-cluener")
VOLATILE = {"request_id", "timing", "devices"}  # differ per request, or per machine


def without_volatile(value):
    if isinstance(value, dict):
        return {k: without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [without_volatile(v) for v in value]
    return value


def concrete_path(template, parameters):
    values = {p["name"]: p.get("example") for p in parameters if p.get("in") == "path"}
    return re.sub(r"\{([^}]+)\}", lambda m: str(values.get(m.group(1))), template)


def operations(doc):
    """(path template, METHOD, operation, parameters) of every GET and POST of the document."""
    for template, item in doc["paths"].items():
        shared = item.get("parameters", [])
        for method in ("get", "post"):
            if method in item:
                op = item[method]
                yield template, method.upper(), op, shared + op.get("parameters", [])


class Example:
    """A response example and the request that replays it: the request body example of the same name,
    the path with the parameters' examples (or the example's x-path)."""
    def __init__(self, template, method, status, content, name, example, path, body):
        self.template, self.method, self.status, self.content = template, method, status, content
        self.name, self.example, self.path, self.body = name, example, path, body


def examples(doc):
    for template, method, op, parameters in operations(doc):
        request_examples = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples", {})
        for status, response in op["responses"].items():
            for content in response.get("content", {}).values():
                for name, example in content.get("examples", {}).items():
                    path = example.get("x-path") or concrete_path(template, parameters)
                    body = request_examples[name]["value"] if name in request_examples else None
                    yield Example(template, method, int(status), content, name, example, path, body)


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCUMENT, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.server = test_http.Server(["--access-log", "", "--device", "cpu"])  # the examples are CPU answers

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        cls.server.close()
        assert rc == 0, f"server exited with {rc}"

    def assert_valid(self, body, schema, where):
        root = {"components": self.doc["components"], **copy.deepcopy(schema)}
        errors = [e.message for e in jsonschema.Draft202012Validator(root).iter_errors(body)]
        self.assertEqual(errors, [], f"{where}: the answer does not match the documented schema")

    def operations(self):
        return operations(self.doc)

    def test_served_document_is_the_source_file(self):
        r = self.server.get("/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertEqual(r.json(), self.doc)

    def test_docs_page_lists_every_path(self):
        r = self.server.get("/docs")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
        page = r.body.decode()
        escape = lambda text: html.escape(text, quote=False).replace('"', "&quot;")  # noqa: E731 - as the page does
        self.assertNotIn("<script", page)  # offline: nothing to load
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if method == "parameters":  # the path's own, shown with each of its operations
                    continue
                self.assertTrue(f"<code>{method.upper()} {escape(path)}</code>" in page, f"{method} {path}")
                if "summary" in op:
                    self.assertTrue(escape(op["summary"]) in page, op["summary"])
                for parameter in item.get("parameters", []) + op.get("parameters", []):
                    self.assertTrue(f"<code>{escape(parameter['name'])}</code>" in page, parameter["name"])
        for name in self.doc["components"]["schemas"]:
            self.assertTrue(f'id="schema-{name}"' in page, name)

    def test_every_listed_route_is_documented(self):
        documented = {re.sub(r"\{[^}]+\}", "{}", p) for p in self.doc["paths"]}
        for route in self.server.get("/info").json()["routes"]:
            method, path = route.split(" ", 1)
            # "/v2/models/<name>[/versions/<v>][/ready]" stands for every combination of the optional parts.
            variants = [""]
            for part in re.findall(r"\[([^\]]+)\]|([^\[]+)", path):
                optional, fixed = part
                variants = [v + fixed for v in variants] if fixed else variants + [v + optional for v in variants]
            for variant in variants:
                for alternative in (variant.split("|") if "|" in variant else [variant]):
                    normalized = re.sub(r"<[^>]+>", "{}", alternative)
                    self.assertIn(normalized, documented, f"{route}: {normalized} is not in openapi.json")

    def test_examples_replay(self):
        replayed = 0
        for ex in examples(self.doc):
            where = f"{ex.method} {ex.path} example {ex.name!r}"
            with self.subTest(where):
                r = self.server.request(ex.method, ex.path, ex.body)
                self.assertEqual(r.status, ex.status, f"{where}: {r.body[:300]}")
                answer = r.json()
                self.assert_valid(answer, ex.content["schema"], where)
                self.assert_valid(ex.example["value"], ex.content["schema"], f"{where} (the example itself)")
                self.assertEqual(without_volatile(answer), without_volatile(ex.example["value"]), where)
            replayed += 1
        self.assertGreaterEqual(replayed, 15, "fewer examples than expected were found")
        print(f"\n{replayed} examples replayed", file=sys.stderr)

    def test_documented_gets_answer_as_documented(self):
        for template, method, op, parameters in self.operations():
            if method != "GET" or "200" not in op["responses"]:
                continue
            path = concrete_path(template, parameters)
            if "None" in path:
                continue  # a parameter without an example (/assets/{file})
            with self.subTest(path):
                r = self.server.get(path)
                self.assertEqual(r.status, 200, f"GET {path}: {r.body[:200]}")
                content = op["responses"]["200"].get("content", {})
                for media, spec in content.items():
                    self.assertEqual(r.header("content-type").split(";")[0], media.split(";")[0], path)
                    if media == "application/json":
                        self.assert_valid(r.json(), spec["schema"], f"GET {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the real uninlu (the examples are the bundled model's answers)")
    args, rest = parser.parse_known_args()
    test_http.BINARY, test_http.MODEL = os.path.abspath(args.binary), BUNDLED_MODEL
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
