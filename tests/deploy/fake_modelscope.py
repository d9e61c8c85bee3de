#!/usr/bin/env python3
"""A local stand-in for ModelScope's file API, for scripts/download_model.sh's tests (stdlib only).

Serves the files of --root as model --model-id at revision --revision, with the two URL forms the
script (and the modelscope SDK) use:
  GET /api/v1/models/{id}/repo/files?Revision={rev}&Recursive=true   -> {"Code": 200, "Data": {"Files": [...]}}
  GET /api/v1/models/{id}/repo?Revision={rev}&FilePath={path}        -> the file's bytes
Faults for the failure-path tests:
  --corrupt FILE   serve FILE with its first bytes flipped (same size: only the sha256 can tell)
  --truncate FILE  serve FILE one byte short (the listing keeps the full size)
  --no-sha         list no Sha256 (the script then checks sizes only)
The chosen port is written to --port-file (start with --port 0). Requests are logged to stderr.
"""
import argparse
import hashlib
import http.server
import json
import os
import sys
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--model-id", required=True)
    p.add_argument("--revision", default="master")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--corrupt", action="append", default=[])
    p.add_argument("--truncate", action="append", default=[])
    p.add_argument("--no-sha", action="store_true")
    args = p.parse_args()

    files = {}
    for name in sorted(os.listdir(args.root)):
        path = os.path.join(args.root, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                data = f.read()
            files[name] = data

    def served(name):
        data = files[name]
        if name in args.corrupt:
            data = bytes(b ^ 0xFF for b in data[:8]) + data[8:]
        if name in args.truncate:
            data = data[:-1]
        return data

    listing = {
        "Code": 200,
        "Data": {"Files": [{"Name": "resources", "Path": "resources", "Type": "tree", "Size": 0}] + [
            {"CommitMessage": "upload {model}", "IsLFS": name.endswith(".bin"), "Mode": "33188", "Name": name,
             "Path": name, "Revision": "0123456789abcdef", "Sha256": "" if args.no_sha else
             hashlib.sha256(data).hexdigest(), "Size": len(data), "Type": "blob"}
            for name, data in files.items()]},
        "Message": "success", "RequestId": "fake", "Success": True,
    }
    prefix = "/api/v1/models/%s/" % args.model_id

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if not url.path.startswith(prefix):
                return self.send_json(404, {"Code": 10010205001, "Message": "model not found", "Success": False})
            if query.get("Revision", "master") != args.revision:
                return self.send_json(404, {"Code": 10010205001, "Message": "revision not found", "Success": False})
            rest = url.path[len(prefix):]
            if rest == "repo/files":
                return self.send_json(200, listing)
            if rest == "repo" and query.get("FilePath") in files:
                data = served(query["FilePath"])
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            return self.send_json(404, {"Code": 10010205001, "Message": "file not found", "Success": False})

        def send_json(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *a):
            sys.stderr.write("fake_modelscope: " + fmt % a + "\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
