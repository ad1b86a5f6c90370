/**
 * The two `sys/` endpoints the simulator needs to build namespaces the way an operator would:
 *
 * - `POST|PUT /v1/sys/namespaces/:path` creates a namespace inside the request's namespace →
 *   `data{custom_metadata, id, path}` (an existing one is answered as it is); `GET` reads one;
 * - `POST|PUT /v1/sys/mounts/:path {"type":"secp256k1"}` mounts the plugin at `:path` in the
 *   request's namespace → 204.
 *
 * Every other `sys/` path is an unsupported path (404). The error texts of these two endpoints are
 * the simulator's own approximations of OpenBao's (only the plugin type `secp256k1` exists).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { BaoFieldError, decodeFields, type FieldData, type FieldSpec } from './fields.js';
import { BaoNamespaceError, canonicalMount, type NamespaceRegistry } from './namespaces.js';
import { BaoHttpError, UNSUPPORTED_OPERATION, UNSUPPORTED_PATH } from './respond.js';

/** What a logical handler answers: data (+ warnings) for 200, or null for 204. Errors are thrown. */
export type LogicalResult = {
  readonly data: Record<string, unknown>;
  readonly warnings: readonly string[];
} | null;

/** The operations of OpenBao's logical layer the simulator distinguishes. */
export type Operation = 'read' | 'list' | 'update' | 'delete' | 'patch' | 'header';

/** The plugin type name `sys/mounts` accepts. */
export const PLUGIN_TYPE = 'secp256k1';

/** A stable, namespace-like accessor id (5 base-62 characters) derived from the path. */
function namespaceId(path: string): string {
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return Array.from(sha256(utf8ToBytes(path)).subarray(0, 5), (b) => digits[b % 62]).join('');
}

const MOUNT_FIELDS: Record<string, FieldSpec> = {
  path: { type: 'string' },
  type: { type: 'string' },
  description: { type: 'string' },
};

/**
 * Handle `sys/<rest>` in `namespace` (canonical).
 * @throws BaoHttpError for unsupported paths / operations and refused input.
 */
export function handleSys(
  registry: NamespaceRegistry,
  namespace: string,
  rest: string,
  operation: Operation,
  data: Record<string, unknown> | undefined,
): LogicalResult {
  const nsMatch = /^namespaces\/(.+)$/.exec(rest);
  if (nsMatch !== null) {
    const wanted = nsMatch[1]!;
    if (operation === 'read') {
      const full = `${namespace}${wanted.endsWith('/') ? wanted : `${wanted}/`}`;
      if (!registry.has(full)) return null;
      return { data: { custom_metadata: {}, id: namespaceId(full), path: full }, warnings: [] };
    }
    if (operation !== 'update') throw UNSUPPORTED_OPERATION();
    try {
      const full = registry.create(wanted, namespace);
      return { data: { custom_metadata: {}, id: namespaceId(full), path: full }, warnings: [] };
    } catch (e) {
      if (e instanceof BaoNamespaceError) throw new BaoHttpError(400, [e.message]);
      throw e;
    }
  }
  const mountMatch = /^mounts\/(.+)$/.exec(rest);
  if (mountMatch !== null) {
    if (operation !== 'update') throw UNSUPPORTED_OPERATION();
    let fields: FieldData;
    try {
      fields = decodeFields(MOUNT_FIELDS, data, { path: mountMatch[1]! });
    } catch (e) {
      // As for the plugin's paths: the framework prefixes the conversion error (sdk/framework
      // backend.go HandleRequest); bad input is a 400, never a 500.
      if (e instanceof BaoFieldError) throw new BaoHttpError(400, [`Field validation failed: ${e.message}`]);
      throw e;
    }
    const type = fields.get('type') as string;
    if (type === '') throw new BaoHttpError(400, ['backend type must be specified as a string']);
    if (type !== PLUGIN_TYPE) throw new BaoHttpError(400, [`plugin not found in the catalog: ${type}`]);
    const mount = canonicalMount(fields.get('path') as string);
    if (mount === '' || mount.startsWith('sys/')) throw new BaoHttpError(400, [`cannot mount at "${mount}"`]);
    if (!registry.mount(namespace, mount))
      throw new BaoHttpError(400, [`path is already in use at ${mount}`]);
    return null;
  }
  throw UNSUPPORTED_PATH();
}
