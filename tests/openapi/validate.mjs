// Validates an OpenAPI document against the specification's own JSON Schema (for its version, here
// 3.1) with @seriousme/openapi-schema-validator (Ajv), and checks that every $ref resolves.
//   node validate.mjs FILE
import { readFile } from "node:fs/promises";
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs openapi.json");
  process.exit(2);
}
const document = JSON.parse(await readFile(file, "utf8"));
const validator = new Validator();
const result = await validator.validate(document);
if (!result.valid) {
  console.error(`FAILED: ${file} is not a valid OpenAPI ${validator.version} document:`);
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
if (validator.version !== "3.1") {
  console.error(`FAILED: ${file} is OpenAPI ${validator.version}, expected 3.1`);
  process.exit(1);
}
// A deliberately broken copy must fail, so that a pass above means something.
const broken = structuredClone(document);
broken.paths["/api/predict"].post.responses = "none";
if ((await new Validator().validate(broken)).valid) {
  console.error("FAILED: the validator accepted a broken document");
  process.exit(1);
}
console.log(`ok: ${file} is a valid OpenAPI ${validator.version} document (${Object.keys(document.paths).length} paths)`);
