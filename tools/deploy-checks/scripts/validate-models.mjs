/*
 * Validates Kubernetes and KEDA objects against the schemas that ship with
 * npm `kubernetes-models` and `@kubernetes-models/keda`: wrong types, missing
 * required fields and invalid formats. Reads a JSON array of objects on
 * stdin and prints a JSON array of problems (empty when all are valid).
 *
 * It is an ES module run by plain Node because both packages are published
 * as ES modules only, which Jest's CommonJS runtime cannot load.
 */

import * as kedaV1alpha1 from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';

/** Model classes by `apiVersion/kind`. */
const models = new Map();
for (const module of [coreV1, appsV1, autoscalingV2, networkingV1, policyV1, kedaV1alpha1]) {
  for (const value of Object.values(module)) {
    if (typeof value === 'function' && typeof value.apiVersion === 'string' && typeof value.kind === 'string') {
      models.set(`${value.apiVersion}/${value.kind}`, value);
    }
  }
}

function validate(object) {
  const id = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? '(no name)'}`;
  const Model = models.get(`${object.apiVersion}/${object.kind}`);
  if (Model === undefined) {
    return [`${id}: no model for this apiVersion and kind; add its group version to validate-models.mjs`];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${id}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const objects = JSON.parse(Buffer.concat(chunks).toString('utf8'));
process.stdout.write(`${JSON.stringify(objects.flatMap(validate))}\n`);
