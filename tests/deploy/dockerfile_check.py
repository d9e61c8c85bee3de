#!/usr/bin/env python3
"""Static checks of deploy/Dockerfile and .dockerignore, and extraction of its RUN commands, for
tests/deploy/dockerfile_test.sh (Docker itself cannot run on the project's machines).

  dockerfile_check.py DOCKERFILE REPO OUT_DIR
  dockerfile_check.py --context REPO DEST     copies the build context (REPO minus .dockerignore) to DEST

Prints one line per check ("ok: ..." or "FAILED: ..."), and writes to OUT_DIR:
  <stage>-run-<n>.sh   each RUN command of each stage as a bash script (the stage's SHELL options and
                       ARG defaults first), for shellcheck and for running the build steps outside Docker
  healthcheck.sh       the HEALTHCHECK command
Exit code: 0 when every check passed, 1 otherwise.
"""
import fnmatch
import json
import os
import re
import shlex
import shutil
import sys


def logical_lines(text):
    """Dockerfile lines with continuations joined and comments dropped: (instruction, argument).
    Docker removes each backslash-newline (the next line's indentation stays), so a RUN is one line."""
    out, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1]  # as Docker does: the escape and the newline go, nothing else
            continue
        current += raw
        instruction, _, argument = current.strip().partition(" ")
        out.append((instruction.upper(), argument.strip()))
        current = ""
    return out


def parse(text):
    global_args, stages = {}, []
    for instruction, argument in logical_lines(text):
        if instruction == "FROM":
            parts = argument.split()
            name = parts[parts.index("AS") + 1] if "AS" in parts else parts[parts.index("as") + 1] if "as" in parts \
                else str(len(stages))
            stages.append({"name": name, "from": parts[0], "instructions": [], "args": {}, "shell": None})
            continue
        if not stages:
            if instruction == "ARG":
                key, _, value = argument.partition("=")
                global_args[key] = value.strip('"')
            continue
        stage = stages[-1]
        stage["instructions"].append((instruction, argument))
        if instruction == "ARG":
            key, eq, value = argument.partition("=")
            stage["args"][key] = value.strip('"') if eq else global_args.get(key, "")
        if instruction == "SHELL":
            stage["shell"] = json.loads(argument)
    return global_args, stages


def dockerignore_excludes(patterns, path):
    """Whether .dockerignore's patterns exclude PATH (a path relative to the context), last match wins."""
    excluded = False
    parts = path.split("/")
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.strip("/")
        matched = False
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if pat.startswith("**/"):
                if any(fnmatch.fnmatch("/".join(parts[j:i]), pat[3:]) for j in range(i)):
                    matched = True
            elif fnmatch.fnmatch(prefix, pat):
                matched = True
        if matched:
            excluded = not negate
    return excluded


def read_patterns(repo):
    path = os.path.join(repo, ".dockerignore")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]


def copy_context(repo, dest):
    """What `docker build` would send: every file not excluded by .dockerignore."""
    patterns = read_patterns(repo)
    negations = [p[1:].strip("/") for p in patterns if p.startswith("!")]
    count = 0
    for root, dirs, files in os.walk(repo):
        rel_root = os.path.relpath(root, repo)
        rel_root = "" if rel_root == "." else rel_root
        keep = []
        for d in dirs:
            rel = os.path.join(rel_root, d) if rel_root else d
            if dockerignore_excludes(patterns, rel) and not any(n.startswith(rel + "/") or n == rel for n in negations):
                continue
            keep.append(d)
        dirs[:] = keep
        for name in files:
            rel = os.path.join(rel_root, name) if rel_root else name
            if dockerignore_excludes(patterns, rel):
                continue
            src = os.path.join(repo, rel)
            if os.path.islink(src) or not os.path.isfile(src):
                continue
            target = os.path.join(dest, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(src, target)
            count += 1
    print("copied %d files of the build context to %s" % (count, dest))
    return 0


def main():
    if sys.argv[1] == "--context":
        return copy_context(sys.argv[2], sys.argv[3])
    dockerfile, repo, out_dir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    with open(dockerfile, encoding="utf-8") as f:
        text = f.read()
    global_args, stages = parse(text)
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok: " if ok else "FAILED: ") + what)
        failures += 0 if ok else 1

    by_name = {s["name"]: s for s in stages}
    check(set(by_name) >= {"build", "runtime"} and stages[-1]["name"] == "runtime",
          "two stages, build and runtime (the last): %s" % [s["name"] for s in stages])
    check(global_args.get("FLAVOR") == "cpu", "ARG FLAVOR defaults to cpu (%r)" % global_args.get("FLAVOR"))
    build, runtime = by_name.get("build"), by_name.get("runtime")
    if not build or not runtime:
        return 1
    check(build["from"] == "debian:12", "build stage FROM debian:12 (%s)" % build["from"])
    check(runtime["from"].startswith("debian:12"), "runtime stage FROM debian:12* (%s)" % runtime["from"])

    def has(stage, instruction, pattern):
        return any(i == instruction and re.search(pattern, a) for i, a in stage["instructions"])

    build_runs = "\n".join(a for i, a in build["instructions"] if i == "RUN")
    runtime_runs = "\n".join(a for i, a in runtime["instructions"] if i == "RUN")
    check("install_deps.sh --build-only" in build_runs,
          "build stage installs scripts/install_deps.sh's build packages")
    check(re.search(r"cmake -S /src -B /build", build_runs) and "-DUNINLU_BUILD_TESTS=OFF" in build_runs
          and "-DUNINLU_BUILD_BENCH=OFF" in build_runs, "build stage: cmake configure with tests and benchmarks off")
    check("cmake --install /build" in build_runs, "build stage: cmake --install")
    check("nvcc" in build_runs and "cuda-minimal-build" in build_runs, "FLAVOR=cuda: nvcc in the build stage")
    check("install_deps.sh --runtime-only" in runtime_runs, "runtime stage: scripts/install_deps.sh --runtime-only")
    check("ldd" in runtime_runs and "not found" in runtime_runs, "runtime stage: fails on missing shared libraries")
    check(has(runtime, "COPY", r"--from=build\s+/opt/uninlu\s+/opt/uninlu"), "runtime copies /opt/uninlu from build")
    check(not any(i == "RUN" and "build-essential" in a for i, a in runtime["instructions"]),
          "runtime stage installs no compiler")
    users = [a for i, a in runtime["instructions"] if i == "USER"]
    check(bool(users) and users[-1].split(":")[0] not in ("0", "root"), "runtime runs as non-root (%s)" % users)
    check(has(runtime, "EXPOSE", r"\b7860\b"), "EXPOSE 7860")
    health = [a for i, a in runtime["instructions"] if i == "HEALTHCHECK"]
    check(bool(health) and "/v2/health/ready" in health[-1] and "curl" in health[-1],
          "HEALTHCHECK curls /v2/health/ready")
    entry = [a for i, a in runtime["instructions"] if i == "ENTRYPOINT"]
    entry_argv = json.loads(entry[-1]) if entry else []
    check(len(entry_argv) >= 2 and "uninlu" in entry_argv[0] and entry_argv[1] == "serve",
          "ENTRYPOINT runs uninlu serve (%s)" % entry_argv)
    check("UNINLU_MODEL" in open(os.path.join(repo, "deploy/docker-entrypoint.sh")).read()
          and "/models/uninlu" in open(os.path.join(repo, "deploy/docker-entrypoint.sh")).read(),
          "the entrypoint sets UNINLU_MODEL to /models/uninlu")
    check(has(runtime, "STOPSIGNAL", r"SIGTERM"), "STOPSIGNAL SIGTERM")

    # COPY sources exist, and .dockerignore keeps what the build needs.
    patterns = read_patterns(repo)
    check(bool(patterns), ".dockerignore at the repository root (the build context)")
    needed = ["CMakeLists.txt", "cmake/Dependencies.cmake", "src/CMakeLists.txt", "src/cli/main.cc",
              "src/http/CMakeLists.txt", "web/index.html", "scripts/install_deps.sh", "scripts/download_model.sh",
              "deploy/docker-entrypoint.sh", "models/uninlu-cluener/config.json"]
    for stage in stages:
        for instruction, argument in stage["instructions"]:
            if instruction == "COPY" and "--from=" not in argument:
                sources = shlex.split(argument)[:-1]
                for source in sources:
                    if source == ".":
                        continue
                    check(os.path.exists(os.path.join(repo, source)), "COPY source %s exists" % source)
                    needed.append(source)
    for path in re.findall(r"/src/([A-Za-z0-9_./-]+\.sh)", build_runs):
        check(os.path.exists(os.path.join(repo, path)), "file used by the build stage exists: %s" % path)
        needed.append(path)
    for path in sorted(set(needed)):
        check(not dockerignore_excludes(patterns, path), ".dockerignore keeps %s" % path)
    for path in ["build/CMakeCache.txt", ".git/HEAD", "tests/CMakeLists.txt", "models/other/pytorch_model.bin",
                 "web/node_modules/x/index.js"]:
        check(dockerignore_excludes(patterns, path), ".dockerignore excludes %s" % path)

    # RUN commands as scripts.
    for stage in stages:
        shell = stage["shell"] or ["/bin/sh", "-c"]
        options = [o for o in shell[1:-1]]
        header = ["#!%s" % shell[0]]
        if options:
            header.append("set %s" % " ".join(options))
        for key, value in stage["args"].items():
            header.append("%s=%s" % (key, shlex.quote(value)))
        header.append("export %s" % " ".join(stage["args"]) if stage["args"] else "true")
        n = 0
        for instruction, argument in stage["instructions"]:
            if instruction != "RUN":
                continue
            n += 1
            # RUN's own flags (BuildKit: --mount=type=cache,..., --network=...) are not part of the command.
            argument = re.sub(r"^(--[a-z]+=\S+\s+)+", "", argument)
            with open(os.path.join(out_dir, "%s-run-%d.sh" % (stage["name"], n)), "w") as f:
                f.write("\n".join(header) + "\n" + argument + "\n")
    if health:
        command = re.split(r"\s+CMD\s+", " " + health[-1], maxsplit=1)[-1]
        with open(os.path.join(out_dir, "healthcheck.sh"), "w") as f:
            f.write("#!/bin/sh\n" + command.strip() + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
