// Validates Kubernetes objects against the API's OpenAPI schemas (types, required fields, enums), with
// the npm package kubernetes-models. Unknown fields are not reported (the schemas allow them; the
// structural checks in k8s_check.py cover the fields that matter).
//   node k8s_validate.mjs OBJECTS.json      (from k8s_check.py; NODE_PATH-free: run with --prefix'ed modules)
// Prints "ok: ..." / "FAILED: ..." lines; exit 1 on a failure.
import { readFileSync } from "node:fs";

const entries = JSON.parse(readFileSync(process.argv[2], "utf8"));
let failed = 0;
for (const { file, object } of entries) {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : [null, object.apiVersion];
  const path = group ? `kubernetes-models/${group}/${version}/${object.kind}` : `kubernetes-models/${version}/${object.kind}`;
  const what = `${file}: ${object.kind} ${object.metadata?.name ?? ""} (${object.apiVersion})`;
  let Model;
  try {
    Model = (await import(path))[object.kind];
  } catch (e) {
    console.log(`FAILED: ${what}: no schema for it (${e.code ?? e.message})`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok: ${what} matches the Kubernetes schema`);
  } catch (e) {
    console.log(`FAILED: ${what}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
