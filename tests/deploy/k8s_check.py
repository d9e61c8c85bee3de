#!/usr/bin/python3
"""Checks deploy/k8s/*.yaml without a cluster: YAML syntax (python3-yaml), then what the manifests
promise about uninlu (probes on the KServe paths, GPU, startup probe, preStop, the grace period
covering preStop + the server's drain, the Service/PDB/HPA pointing at the Deployment, the model
volume and the initContainer running download_model.sh, the adapter rule's metric matching the HPA).

  k8s_check.py K8S_DIR JSON_OUT

Prints "ok: ..." / "FAILED: ..." lines; writes every parsed Kubernetes object (kustomization.yaml
excluded) to JSON_OUT for the optional schema validation (k8s_validate.mjs). Exit 1 on a failure.
"""
import glob
import json
import os
import re
import sys

try:
    import yaml
except ImportError:
    print("FAILED: python3-yaml is not installed (apt-get install python3-yaml)")
    sys.exit(1)

failures = 0


def check(ok, what):
    global failures
    print(("ok: " if ok else "FAILED: ") + what)
    failures += 0 if ok else 1


def arg_value(args, name):
    for i, a in enumerate(args):
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
        if a == name and i + 1 < len(args):
            return args[i + 1]
    return None


def main():
    k8s_dir, json_out = sys.argv[1:3]
    objects, kustomization = [], None
    for path in sorted(glob.glob(os.path.join(k8s_dir, "*.yaml"))):
        name = os.path.basename(path)
        try:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            check(False, "%s parses as YAML: %s" % (name, e))
            continue
        check(bool(docs), "%s parses as YAML (%d document(s))" % (name, len(docs)))
        for d in docs:
            check(isinstance(d, dict) and "apiVersion" in d and "kind" in d, "%s: apiVersion and kind" % name)
            if d.get("kind") == "Kustomization":
                kustomization = (name, d)
            else:
                d.setdefault("metadata", {})
                objects.append((name, d))

    with open(json_out, "w") as f:
        json.dump([{"file": n, "object": d} for n, d in objects], f)
    try:
        structure(k8s_dir, objects, kustomization)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        check(False, "the manifests have the expected structure (%s: %s)" % (type(e).__name__, e))
    return 1 if failures else 0


def structure(k8s_dir, objects, kustomization):
    def find(kind):
        return [d for _, d in objects if d.get("kind") == kind]

    deployments = find("Deployment")
    check(len(deployments) == 1, "one Deployment")
    if not deployments:
        return
    dep = deployments[0]
    labels = dep["spec"]["template"]["metadata"].get("labels", {})
    check(dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), "Deployment selector matches its pods")
    pod = dep["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    main_c = containers.get("uninlu")
    check(main_c is not None, "container 'uninlu'")
    if not main_c:
        return
    args = main_c.get("args", [])
    port = int(arg_value(args, "--port") or 7860)
    ports = {p.get("name"): p["containerPort"] for p in main_c.get("ports", [])}
    check(ports.get("http") == port, "containerPort 'http' = --port (%s, %s)" % (ports.get("http"), port))
    res = main_c.get("resources", {})
    check(str(res.get("limits", {}).get("nvidia.com/gpu")) == "1", "limits nvidia.com/gpu: 1")
    check(str(res.get("requests", {}).get("nvidia.com/gpu", "1")) == "1", "requests nvidia.com/gpu = limits")
    check("memory" in res.get("limits", {}) and "cpu" in res.get("requests", {}), "cpu and memory resources")

    def probe(name, path):
        p = main_c.get(name) or {}
        get = p.get("httpGet", {})
        ok = get.get("path") == path and get.get("port") in ("http", port)
        check(ok, "%s: GET %s on the http port (%s %s)" % (name, path, get.get("path"), get.get("port")))
        return p

    probe("readinessProbe", "/v2/health/ready")
    probe("livenessProbe", "/v2/health/live")
    startup = main_c.get("startupProbe") or {}
    check(startup.get("httpGet", {}).get("path", "").startswith("/v2/health/"), "a startupProbe on /v2/health/*")
    budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
    check(budget >= 120, "startupProbe allows >= 120 s for the model load (%d s)" % budget)

    pre_stop = main_c.get("lifecycle", {}).get("preStop", {})
    sleep_s = 0
    if "exec" in pre_stop and pre_stop["exec"]["command"][:1] == ["sleep"]:
        sleep_s = int(pre_stop["exec"]["command"][1])
    elif "sleep" in pre_stop:
        sleep_s = int(pre_stop["sleep"]["seconds"])
    check(sleep_s > 0, "preStop hook waits for endpoint removal (%d s)" % sleep_s)
    drain_ms = int(arg_value(args, "--shutdown-timeout-ms") or 30000)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    needed = sleep_s + drain_ms / 1000 + 5
    check(grace >= needed, "terminationGracePeriodSeconds %d >= preStop %d + drain %g + 5 s to write answers"
          % (grace, sleep_s, drain_ms / 1000))
    check(grace <= needed + 30, "terminationGracePeriodSeconds not far above what is needed (%d)" % grace)

    env = {e["name"]: e.get("value") for e in main_c.get("env", [])}
    model_path = env.get("UNINLU_MODEL") or arg_value(args, "--model")
    mounts = {m["name"]: m["mountPath"] for m in main_c.get("volumeMounts", [])}
    check(bool(model_path) and any(model_path.startswith(m.rstrip("/") + "/") or model_path == m
                                   for m in mounts.values()),
          "the model path %s is on a mounted volume %s" % (model_path, sorted(mounts.values())))
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    model_volume = next((n for n, m in mounts.items() if model_path and model_path.startswith(m)), None)
    check(model_volume in volumes, "the model volume is declared (%s)" % model_volume)
    inits = pod.get("initContainers", [])
    downloader = next((c for c in inits if "download_model.sh" in " ".join(c.get("command", []) + c.get("args", []))),
                      None)
    pvcs = [d["metadata"]["name"] for d in find("PersistentVolumeClaim")]
    from_pvc = model_volume in volumes and "persistentVolumeClaim" in volumes[model_volume]
    check(downloader is not None or from_pvc, "the model comes from a PVC or an initContainer with download_model.sh")
    if downloader:
        cmd = downloader.get("command", []) + downloader.get("args", [])
        dest = arg_value(cmd, "--dest")
        init_mounts = {m["name"]: m["mountPath"] for m in downloader.get("volumeMounts", [])}
        check(dest == model_path, "initContainer downloads to the model path (%s)" % dest)
        check(init_mounts.get(model_volume) == mounts.get(model_volume),
              "initContainer mounts the model volume at the same place")
        check(init_mounts.get(model_volume) != dest,
              "the volume is mounted above the model folder (download_model.sh renames into it)")
    if from_pvc:
        claim = volumes[model_volume]["persistentVolumeClaim"]["claimName"]
        check(claim in pvcs, "the PVC %s is defined" % claim)

    sec = main_c.get("securityContext", {})
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "pods run as non-root")
    check(sec.get("allowPrivilegeEscalation") is False, "no privilege escalation")
    strategy = dep["spec"].get("strategy", {}).get("rollingUpdate", {})
    check(strategy.get("maxUnavailable") in (0, "0", "0%"), "rolling updates keep capacity (maxUnavailable 0)")

    name = dep["metadata"]["name"]
    services = find("Service")
    check(len(services) == 1, "one Service")
    for svc in services:
        check(svc["spec"]["selector"].items() <= labels.items(), "Service selects the pods")
        targets = [p.get("targetPort") for p in svc["spec"]["ports"]]
        check(all(t in ("http", port) for t in targets), "Service targets the http port (%s)" % targets)
    pdbs = find("PodDisruptionBudget")
    check(len(pdbs) == 1, "one PodDisruptionBudget")
    for pdb in pdbs:
        check(pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(), "PDB selects the pods")
        check("maxUnavailable" in pdb["spec"] or "minAvailable" in pdb["spec"], "PDB sets a budget")
    hpas = find("HorizontalPodAutoscaler")
    check(len(hpas) == 1, "one HorizontalPodAutoscaler")
    hpa_metric = None
    for hpa in hpas:
        ref = hpa["spec"]["scaleTargetRef"]
        check(ref["kind"] == "Deployment" and ref["name"] == name, "HPA scales the Deployment")
        check(hpa["spec"]["minReplicas"] >= 2, "HPA keeps >= 2 replicas (failover)")
        pods_metrics = [m["pods"]["metric"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
        check(bool(pods_metrics), "HPA on a per-pod custom metric (%s)" % pods_metrics)
        hpa_metric = pods_metrics[0] if pods_metrics else None
    adapters = [d for _, d in objects if d.get("kind") == "ConfigMap" and "config.yaml" in d.get("data", {})]
    check(len(adapters) == 1, "the Prometheus adapter rule is given")
    for cm in adapters:
        rules = yaml.safe_load(cm["data"]["config.yaml"]).get("rules", [])
        names = [r.get("name", {}).get("as") for r in rules]
        check(hpa_metric in names, "the adapter rule exposes the HPA's metric %s (%s)" % (hpa_metric, names))
        check(all(hpa_metric in r.get("seriesQuery", "") for r in rules if r.get("name", {}).get("as") == hpa_metric),
              "the rule's series is the /metrics gauge")
    metrics_doc = os.path.join(os.path.dirname(os.path.abspath(k8s_dir)), "..", "docs", "http-api.md")
    if hpa_metric and os.path.exists(metrics_doc):
        check(hpa_metric in open(metrics_doc).read(), "docs/http-api.md lists %s among /metrics" % hpa_metric)

    if kustomization:
        listed = kustomization[1].get("resources", [])
        for f in listed:
            check(os.path.exists(os.path.join(k8s_dir, f)), "kustomization resource %s exists" % f)
        files = {n for n, d in objects if d.get("kind") != "ConfigMap"}
        check(files <= set(listed), "kustomization lists every manifest but the adapter rule (%s)"
              % sorted(files - set(listed)))

    images = {c["image"] for c in pod["containers"] + inits}
    check(len(images) == 1, "the initContainer uses the server's image (%s)" % sorted(images))


if __name__ == "__main__":
    sys.exit(main())
