// Copies the prebuilt bpmn-js bundles (viewer, navigated viewer, modeler) and
// their CSS and font from node_modules into api/static/vendor/bpmn-js.
// Run by ./onething after `npm ci`; the pages never load anything from a CDN.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "node_modules", "bpmn-js", "dist");
const out = join(root, "api", "static", "vendor", "bpmn-js");
const version = JSON.parse(readFileSync(join(root, "node_modules", "bpmn-js", "package.json"))).version;

mkdirSync(out, { recursive: true });
for (const name of ["bpmn-navigated-viewer.production.min.js", "bpmn-modeler.production.min.js"]) {
  cpSync(join(dist, name), join(out, name));
}
cpSync(join(dist, "assets"), join(out, "assets"), { recursive: true });
writeFileSync(join(out, "VERSION"), version + "\n");
console.log(`bpmn-js ${version} -> ${out}`);
