// Checks deploy/ manifests with the parsers and schemas their platforms'
// own tooling uses: the Kubernetes and KEDA OpenAPI schemas (through
// kubernetes-models), the Microsoft.App REST API model (through the Azure
// SDK's generated serializers), and the Dockerfile parser and linter of
// the Docker language server. Reads one JSON request on standard input,
// writes one JSON answer on standard output:
//   {"kind": "kubernetes", "documents": [...]} -> {"errors": ["..."]}
//   {"kind": "container-apps-job", "document": {...}} -> {"unknown": ["path"]}
//   {"kind": "dockerfile", "text": "..."} -> {"diagnostics": [...], "instructions": [...]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

const KUBERNETES_MODELS = {
  "v1/Namespace": "kubernetes-models/v1/Namespace",
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "batch/v1/CronJob": "kubernetes-models/batch/v1/CronJob",
  "keda.sh/v1alpha1/ScaledJob": "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob",
  "keda.sh/v1alpha1/TriggerAuthentication":
    "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication",
};

async function kubernetes(documents) {
  const errors = [];
  for (const [i, doc] of documents.entries()) {
    const key = `${doc.apiVersion}/${doc.kind}`;
    const module = KUBERNETES_MODELS[key];
    if (!module) {
      errors.push(`document ${i}: no schema for ${key}`);
      continue;
    }
    const Model = Object.values(await import(module))[0];
    try {
      new Model(doc).validate();
    } catch (e) {
      errors.push(`document ${i} (${key} ${doc.metadata?.name}): ${e.message}`);
    }
  }
  return { errors };
}

// The SDK's deserializer reads only the properties the REST API defines and
// its serializer writes them back; whatever the round trip loses is a key
// the API does not know (a typo the service would silently ignore).
function containerAppsJob(document) {
  // The (de)serializers are internal to the package, so not among its
  // exports: they are loaded by their file.
  const models = require(join(dirname(fileURLToPath(import.meta.url)), "node_modules", "@azure",
    "arm-appcontainers", "dist", "commonjs", "models", "models.js"));
  const back = JSON.parse(JSON.stringify(models.jobSerializer(models.jobDeserializer(document))));
  const unknown = [];
  const walk = (given, kept, path) => {
    if (Array.isArray(given)) {
      given.forEach((item, i) => walk(item, (kept || [])[i], `${path}[${i}]`));
    } else if (given && typeof given === "object") {
      for (const [k, v] of Object.entries(given)) {
        if (!kept || typeof kept !== "object" || !(k in kept)) unknown.push(`${path}.${k}`);
        else walk(v, kept[k], `${path}.${k}`);
      }
    }
  };
  walk(document, back, "");
  return { unknown };
}

function dockerfile(text) {
  const { validate } = require("dockerfile-utils");
  const { DockerfileParser } = require("dockerfile-ast");
  const diagnostics = validate(text).map((d) => ({
    severity: d.severity, message: d.message, line: d.range.start.line + 1,
  }));
  const instructions = DockerfileParser.parse(text).getInstructions().map((ins) => {
    const out = {
      keyword: ins.getKeyword(),
      arguments: ins.getArguments().map((a) => a.getValue()),
      line: ins.getRange().start.line + 1,
    };
    if (typeof ins.getFlags === "function") {
      out.flags = ins.getFlags().map((f) => [f.getName(), f.getValue()]);
    }
    if (ins.getKeyword() === "FROM") {
      out.image = ins.getImage();
      out.stage = ins.getBuildStage();
    }
    if (typeof ins.getJSONStrings === "function") {
      out.json = ins.getJSONStrings().map((s) => s.getJSONValue());
    }
    if (typeof ins.getProperties === "function") {
      out.properties = ins.getProperties().map((p) => [p.getName(), p.getValue()]);
    }
    return out;
  });
  return { diagnostics, instructions };
}

const request = JSON.parse(readFileSync(0, "utf8"));
let answer;
if (request.kind === "kubernetes") answer = await kubernetes(request.documents);
else if (request.kind === "container-apps-job") answer = containerAppsJob(request.document);
else if (request.kind === "dockerfile") answer = dockerfile(request.text);
else throw new Error(`unknown request kind ${request.kind}`);
process.stdout.write(JSON.stringify(answer) + "\n");
