/**
 * Namespaces and mounts of the simulated OpenBao.
 *
 * A namespace path is canonical: '' for the root, else segments joined by '/' with a trailing
 * '/' ('team-a/', 'team-a/child/'). A request's namespace is the `X-Vault-Namespace` header
 * canonicalised (openbao helper/namespace/namespace.go Canonicalize), "root/" meaning the root,
 * stacked in front of the request path; the namespace is the longest existing namespace path that
 * prefixes the result, and it must cover the whole header, else the request is 404 "namespace not
 * found" (vault/namespace_store.go ResolveNamespaceFromRequest, vault/request_handling.go
 * switchedLockHandleRequest). So a namespace may also be named in the URL path.
 *
 * Each namespace has its own mounts (mount paths like 'secp256k1/'); a path with no mount in its
 * namespace has no handler (vault/router.go routeCommon).
 */

/** A namespace name or path that OpenBao would refuse; `field` names the input. */
export class BaoNamespaceError extends Error {
  override readonly name = 'BaoNamespaceError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Segment names a namespace may not use (helper/namespace/namespace.go reservedNames). */
const RESERVED = ['root', 'sys', 'audit', 'auth', 'cubbyhole', 'identity'];

/**
 * Go's path.Clean: shortest equivalent path by lexical processing (repeated slashes collapsed,
 * '.' removed, 'x/..' removed, '..' kept at the start of a relative path, trailing slash dropped;
 * '' → '.', rooted results keep one leading '/').
 */
export function goPathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/**
 * A namespace path in canonical form (helper/namespace Canonicalize): '' and '/' are the root
 * (''); otherwise ONE leading '/' is trimmed, the rest is path.Clean'ed and given a trailing '/'.
 * So '/team-a/', 'team-a//' and 'x/../team-a' are all 'team-a/', while '//team-a' is '/team-a/'
 * (which can name no namespace).
 */
export function canonicalNamespace(raw: string): string {
  if (raw === '' || raw === '/') return '';
  const cleaned = goPathClean(raw.startsWith('/') ? raw.slice(1) : raw);
  return cleaned.endsWith('/') ? cleaned : `${cleaned}/`;
}

/** A mount path in canonical form: no leading '/', one trailing '/'. */
export function canonicalMount(raw: string): string {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

/** What a request resolved to. */
export interface ResolvedPath {
  /** Canonical namespace path ('' = root). */
  readonly namespace: string;
  /** The request path relative to the namespace (e.g. 'secp256k1/keys/k'). */
  readonly path: string;
}

/** A mount that serves a path. */
export interface MountMatch {
  /** Canonical mount path, e.g. 'secp256k1/'. */
  readonly mount: string;
  /** The path inside the mount (e.g. 'keys/k'). */
  readonly rest: string;
}

/** The namespace tree and the mounts of each namespace. The root namespace always exists. */
export class NamespaceRegistry {
  readonly #mounts = new Map<string, Set<string>>([['', new Set()]]);

  /** Canonical paths of every namespace, sorted ('' first). */
  list(): string[] {
    return [...this.#mounts.keys()].sort();
  }

  /** True when the canonical namespace `path` exists. */
  has(path: string): boolean {
    return this.#mounts.has(path);
  }

  /**
   * Create `path` inside the namespace `parent` (both canonical or raw; default root). Creating an
   * existing namespace is a no-op (OpenBao's write is an update).
   * @returns the canonical path of the namespace.
   * @throws BaoNamespaceError('path') for the root, a segment with a space, a reserved name
   *   (root, sys, audit, auth, cubbyhole, identity), '..', or a parent that does not exist.
   */
  create(path: string, parent = ''): string {
    const base = canonicalNamespace(parent);
    const own = canonicalNamespace(path);
    if (own === '') throw new BaoNamespaceError('path', 'cannot create the root namespace');
    if (own.startsWith('/')) throw new BaoNamespaceError('path', `invalid namespace path "${path}"`);
    for (const segment of own.slice(0, -1).split('/')) {
      if (segment.includes(' '))
        throw new BaoNamespaceError(
          'path',
          `"${segment}" contains space characters and cannot be used as a namespace name`,
        );
      if (RESERVED.includes(segment) || segment === '..')
        throw new BaoNamespaceError(
          'path',
          `"${segment}" is a reserved path and cannot be used as a namespace name`,
        );
    }
    const full = base + own;
    const cut = full.slice(0, -1).lastIndexOf('/');
    const parentPath = cut === -1 ? '' : full.slice(0, cut + 1);
    if (!this.#mounts.has(parentPath))
      throw new BaoNamespaceError('path', `parent namespace "${parentPath}" does not exist`);
    if (!this.#mounts.has(full)) this.#mounts.set(full, new Set());
    return full;
  }

  /**
   * Mount at `mount` in `namespace` (both canonical).
   * @returns false when the namespace does not exist or the mount path is taken (nothing changes).
   */
  mount(namespace: string, mount: string): boolean {
    const mounts = this.#mounts.get(namespace);
    if (mounts === undefined || mounts.has(mount)) return false;
    mounts.add(mount);
    return true;
  }

  /** True when `namespace` has a mount at `mount`. */
  isMounted(namespace: string, mount: string): boolean {
    return this.#mounts.get(namespace)?.has(mount) ?? false;
  }

  /**
   * The namespace of a request: header (raw) stacked on `path` (relative to /v1/), longest
   * existing namespace prefix, which must cover the whole header.
   * @returns undefined when OpenBao would answer "namespace not found".
   */
  resolve(header: string, path: string): ResolvedPath | undefined {
    let head = canonicalNamespace(header);
    if (head === 'root/') head = '';
    const full = head + path;
    let best = '';
    for (const ns of this.#mounts.keys()) {
      if (ns.length > best.length && full.startsWith(ns)) best = ns;
    }
    if (!best.startsWith(head)) return undefined;
    return { namespace: best, path: full.slice(best.length) };
  }

  /**
   * The mount serving `path` (relative to `namespace`): the longest mount prefix, retried with a
   * trailing '/' so that 'secp256k1' finds 'secp256k1/' (vault/router.go routeCommon).
   * @returns undefined when no mount serves it ("no handler for route").
   */
  findMount(namespace: string, path: string): MountMatch | undefined {
    const mounts = this.#mounts.get(namespace);
    if (mounts === undefined) return undefined;
    const pick = (p: string): MountMatch | undefined => {
      let best: string | undefined;
      for (const m of mounts) if (p.startsWith(m) && (best === undefined || m.length > best.length)) best = m;
      return best === undefined ? undefined : { mount: best, rest: p.slice(best.length) };
    };
    return pick(path) ?? (path.endsWith('/') ? undefined : pick(`${path}/`));
  }
}
