/** Whether a request's Host header names the explorer (see {@link hostCheck}). */
export type HostCheck = (header: string | undefined) => boolean;

/**
 * Whether `host` is a loopback address or name, reachable from this machine only.
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1'); // true
 * isLoopback('0.0.0.0'); // false
 * ```
 */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The DNS-rebinding guard: only requests whose Host header names the explorer are answered, so a
 * web page the user visits cannot reach it by pointing its own domain name at this machine.
 * Accepted: loopback names on any port (a page cannot make the browser send those for its own
 * origin, and `ssh -L 8080:localhost:4600` arrives as `localhost:8080`), the address listened on
 * with its port, and each `allowed` entry (`name` on any port, `name:port` on that one), e.g. the
 * name an editor's port forwarding gives. The check holds on every address, loopback or not.
 *
 * @example
 * ```ts
 * const allowed = hostCheck('127.0.0.1', 4600, ['abc-4600.app.github.dev']);
 * allowed('localhost:8080'); // true
 * allowed('attacker.example:4600'); // false
 * ```
 */
export function hostCheck(listenHost: string, port: number, allowed: readonly string[]): HostCheck {
  const names = new Set<string>();
  const withPort = new Set<string>([`${bracketed(listenHost)}:${port}`.toLowerCase()]);
  for (const entry of allowed) {
    const { name, port: entryPort } = splitHost(entry.toLowerCase());
    if (entryPort === undefined) names.add(name);
    else withPort.add(`${name}:${entryPort}`);
  }
  return (header) => {
    if (header === undefined || header === '') return false;
    const lower = header.toLowerCase();
    const { name } = splitHost(lower);
    const bare = name.startsWith('[') ? name.slice(1, -1) : name;
    return isLoopback(bare) || names.has(name) || withPort.has(lower);
  };
}

/** Splits `name:port`, `[v6]:port`, `name` or `[v6]`. */
function splitHost(host: string): { name: string; port: string | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host);
  if (match === null) return { name: host, port: undefined };
  return { name: match[1] ?? host, port: match[2] === '' ? undefined : match[2] };
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
