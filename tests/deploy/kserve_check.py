#!/usr/bin/python3
"""Checks deploy/kserve/*.yaml without a cluster:
  1. every object against KServe's own CRD schema for its kind and version (the openAPIV3Schema of
     tests/deploy/fixtures/kserve, KServe v0.20.0), with python3-jsonschema; unknown fields are errors,
     as with `kubectl apply --validate=strict`;
  2. that the validator is not vacuous: broken copies (a wrong type, an unknown field) must fail;
  3. what the manifests promise: container kserve-container on 8080, models from /mnt/models, the v2
     protocol, Prometheus annotations, RawDeployment and Serverless, CPU and GPU variants, each
     InferenceService naming a runtime that serves its model format.

  kserve_check.py KSERVE_DIR FIXTURES_DIR

Prints "ok: ..." / "FAILED: ..." lines; exit 1 on a failure.
"""
import copy
import glob
import gzip
import os
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"FAILED: {e.name} is not installed (apt-get install python3-jsonschema python3-yaml)")
    sys.exit(1)

failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAILED: ") + what)
    failures += 0 if ok else 1


def strict(schema):
    """Kubernetes prunes unknown fields silently; strict validation reports them. Objects with declared
    properties get additionalProperties: false unless the CRD keeps unknown fields there."""
    if isinstance(schema, dict):
        schema = {k: strict(v) for k, v in schema.items()}
        if (schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def load_validators(fixtures):
    """{(apiVersion, kind): validator} for every served version of every CRD in the fixtures."""
    validators = {}
    for path in sorted(glob.glob(os.path.join(fixtures, "*.yaml.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served"):
                continue
            schema = strict(version["schema"]["openAPIV3Schema"])
            validators[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return validators


def errors_of(validators, obj):
    validator = validators.get((obj.get("apiVersion"), obj.get("kind")))
    if validator is None:
        return [f"no CRD schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(obj)]


def main():
    kserve_dir, fixtures = sys.argv[1], sys.argv[2]
    validators = load_validators(fixtures)
    check(("serving.kserve.io/v1alpha1", "ServingRuntime") in validators
          and ("serving.kserve.io/v1beta1", "InferenceService") in validators,
          f"CRD schemas loaded: {', '.join(sorted(k for _, k in validators))}")

    objects = []
    for path in sorted(glob.glob(os.path.join(kserve_dir, "*.yaml"))):
        name = os.path.basename(path)
        if name == "kustomization.yaml":
            continue
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for obj in docs:
            errors = errors_of(validators, obj)
            check(not errors, f"{name}: {obj['kind']} {obj['metadata']['name']} matches KServe's CRD schema"
                  + ("" if not errors else ": " + "; ".join(errors[:5])))
            objects.append((name, obj))
    with open(os.path.join(kserve_dir, "kustomization.yaml"), encoding="utf-8") as f:
        listed = set(yaml.safe_load(f)["resources"])
    check(listed == {name for name, _ in objects}, "kustomization.yaml lists every manifest")

    runtimes = {o["metadata"]["name"]: o for _, o in objects if o["kind"] == "ServingRuntime"}
    services = [o for _, o in objects if o["kind"] == "InferenceService"]

    # The validator rejects what it should, so the passes above mean something.
    if runtimes and services:
        broken = copy.deepcopy(next(iter(runtimes.values())))
        broken["spec"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
        check(errors_of(validators, broken), "a containerPort that is not an integer is rejected")
        broken = copy.deepcopy(services[0])
        broken["spec"]["predictor"]["model"]["storageURI"] = "pvc://x"
        check(errors_of(validators, broken), "an unknown field (storageURI for storageUri) is rejected")
        broken = copy.deepcopy(services[0])
        broken["spec"]["predictor"]["scaleMetric"] = "gpu"
        check(errors_of(validators, broken), "a scaleMetric outside KServe's enum is rejected")

    for name, rt in runtimes.items():
        spec = rt["spec"]
        container = spec["containers"][0]
        check(len(spec["containers"]) == 1 and container["name"] == "kserve-container",
              f"{name}: one container, named kserve-container")
        check([p["containerPort"] for p in container.get("ports", [])] == [8080], f"{name}: port 8080")
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        check(env.get("UNINLU_HTTP_PORT") == "8080" and "PORT" not in env,
              f"{name}: UNINLU_HTTP_PORT=8080 (PORT is Knative's to set)")
        check(container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080},
              f"{name}: readiness on /v2/health/ready")
        args = container.get("args", [])
        check("--model=/mnt/models" in args and "--model-name={{.Name}}" in args,
              f"{name}: serves /mnt/models under the InferenceService's name")
        check(spec.get("protocolVersions") == ["v2"], f"{name}: speaks the v2 protocol")
        check(spec.get("annotations", {}).get("prometheus.kserve.io/port") == "8080"
              and spec["annotations"].get("prometheus.kserve.io/path") == "/metrics",
              f"{name}: Prometheus annotations point at /metrics on 8080")
        check(any(f["name"] == "uninlu" for f in spec["supportedModelFormats"]), f"{name}: model format uninlu")

    modes = set()
    for isvc in services:
        name = isvc["metadata"]["name"]
        annotations = isvc["metadata"].get("annotations", {})
        mode = annotations.get("serving.kserve.io/deploymentMode")
        predictor = isvc["spec"]["predictor"]
        model = predictor["model"]
        runtime = runtimes.get(model.get("runtime"))
        check(runtime is not None and any(f["name"] == model["modelFormat"]["name"]
                                          for f in runtime["spec"]["supportedModelFormats"]),
              f"{name}: runtime {model.get('runtime')} exists and serves format {model['modelFormat']['name']}")
        check(model.get("protocolVersion") == "v2" and model.get("storageUri"), f"{name}: v2, with a storageUri")
        check(annotations.get("serving.kserve.io/enable-prometheus-scraping") == "true", f"{name}: scraped")
        gpus = model.get("resources", {}).get("limits", {}).get("nvidia.com/gpu")
        gpu_runtime = runtime is not None and runtime["spec"]["containers"][0]["image"].endswith(":cuda")
        check(bool(gpus) == gpu_runtime, f"{name}: asks for GPUs exactly when its runtime is the CUDA image")
        if mode == "Serverless":
            check(predictor.get("scaleMetric") == "concurrency" and predictor.get("containerConcurrency", 0) <= 512,
                  f"{name}: Knative scales on concurrency, capped below the server's max_in_flight (512)")
        elif mode == "RawDeployment":
            check(predictor.get("scaleMetric") in ("cpu", "memory") and
                  predictor.get("maxReplicas", 0) >= predictor.get("minReplicas", 1) >= 1,
                  f"{name}: an HPA between minReplicas >= 1 and maxReplicas")
        else:
            check(False, f"{name}: deploymentMode is RawDeployment or Serverless, not {mode}")
        modes.add((mode, "gpu" if gpus else "cpu"))
    check(modes == {("RawDeployment", "cpu"), ("RawDeployment", "gpu"), ("Serverless", "cpu"), ("Serverless", "gpu")},
          "RawDeployment and Serverless, each for CPU and GPU")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
