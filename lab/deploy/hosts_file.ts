/**
 * A hosts file says where the machines of a real run are (like an MPI hostfile): one
 * `machine.domain host:port` per line, `#` comments and blank lines allowed. The line of the
 * lab's own machine `ctl.lab` says where the lab listens for the machines that other hosts
 * start (`lab node --hosts FILE`); the lab's own machines listen on its host too.
 *
 * ```text
 * # the lab, and one server on each of two hosts
 * ctl.lab  10.0.0.1:7000
 * m1.lab   10.0.0.2:4001
 * m2.lab   10.0.0.3:4001   # a comment after an entry
 * ```
 * @module
 */
import { parseMachine } from "../../core/name.ts";

/** One line of a hosts file: machine `machine` listens on `hostname:port`. */
export interface HostEntry {
  /** `machine.domain`. */
  readonly machine: string;
  /** An IPv4 address, an IPv6 address (written `[::1]:port` in the file) or a host name. */
  readonly hostname: string;
  /** Its port; 0 for a free one (the lab tells the others which). */
  readonly port: number;
  /** Its line number in the file, from 1. */
  readonly line: number;
}

/** A parsed hosts file. */
export interface HostsFile {
  /** The file's path, as given. */
  readonly path: string;
  /** Its entries, in file order. */
  readonly entries: readonly HostEntry[];
}

/** A hosts file that cannot be used; `line` is 0 when the whole file is at fault. */
export class HostsFileError extends Error {
  /** The file's path, as given. */
  readonly path: string;
  /** The line at fault, from 1 (0: the file itself). */
  readonly line: number;

  /** Builds the error for line `line` of `path`. */
  constructor(path: string, line: number, detail: string) {
    super(
      line === 0
        ? `Cannot use hosts file "${path}": ${detail}`
        : `Cannot use hosts file "${path}" line ${line}: ${detail}`,
    );
    this.name = "HostsFileError";
    this.path = path;
    this.line = line;
  }
}

const FORMAT = "write one `machine.domain host:port` per line, e.g. `m1.lab 10.0.0.2:4001`";

/** Splits `host:port` (`[v6]:port` for IPv6). */
function splitEndpoint(text: string): { hostname: string; port: number } | undefined {
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return undefined;
  let hostname = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
  else if (hostname.includes(":")) return undefined;
  if (hostname === "" || /\s/.test(hostname)) return undefined;
  return { hostname, port };
}

/**
 * Parses the text of a hosts file read from `path`.
 *
 * @throws {HostsFileError} naming the line at fault: a line without exactly a machine and an
 * endpoint, a bad machine name, a bad endpoint, a machine given twice, or a file without any
 * entry.
 * @example Two machines and the lab
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostsFile } from "./hosts_file.ts";
 * const file = parseHostsFile("# lab\nctl.lab 10.0.0.1:7000\n\nm1.lab 10.0.0.2:4001 # server\n", "h.txt");
 * assert.deepEqual(file.entries.map((e) => [e.machine, e.hostname, e.port, e.line]), [
 *   ["ctl.lab", "10.0.0.1", 7000, 2],
 *   ["m1.lab", "10.0.0.2", 4001, 4],
 * ]);
 * assert.throws(() => parseHostsFile("m1.lab 10.0.0.2\n", "h.txt"), /"h.txt" line 1: .*"10.0.0.2"/);
 * ```
 */
export function parseHostsFile(text: string, path: string): HostsFile {
  const entries: HostEntry[] = [];
  const seen = new Map<string, number>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = i + 1;
    const content = raw.replace(/#.*$/, "").trim();
    if (content === "") continue;
    const fields = content.split(/\s+/);
    if (fields.length !== 2) {
      throw new HostsFileError(
        path,
        line,
        `"${content}" is not a machine and an endpoint: ${FORMAT}`,
      );
    }
    let machine: string;
    try {
      const { machine: m, domain } = parseMachine(fields[0]);
      machine = `${m}.${domain}`;
    } catch (error) {
      throw new HostsFileError(path, line, (error as Error).message);
    }
    const endpoint = splitEndpoint(fields[1]);
    if (endpoint === undefined) {
      throw new HostsFileError(
        path,
        line,
        `endpoint "${fields[1]}" is not HOST:PORT (port 0..65535, [v6]:PORT for IPv6): ${FORMAT}`,
      );
    }
    const before = seen.get(machine);
    if (before !== undefined) {
      throw new HostsFileError(path, line, `machine "${machine}" is on line ${before} already`);
    }
    seen.set(machine, line);
    entries.push({ machine, ...endpoint, line });
  }
  if (entries.length === 0) throw new HostsFileError(path, 0, `it has no entry: ${FORMAT}`);
  return { path, entries };
}

/**
 * Reads and parses the hosts file at `path`.
 *
 * @throws {HostsFileError} when it cannot be read or parsed.
 * @example A file that is missing
 * ```ts
 * import assert from "node:assert/strict";
 * import { readHostsFile } from "./hosts_file.ts";
 * assert.throws(() => readHostsFile("/nonexistent/hosts.txt"), /Cannot use hosts file "\/nonexistent\/hosts.txt": cannot read it/);
 * ```
 */
export function readHostsFile(path: string): HostsFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new HostsFileError(path, 0, `cannot read it (${(error as Error).message})`);
  }
  return parseHostsFile(text, path);
}

/** `host:port`, bracketing an IPv6 address. */
export function endpointText(entry: { readonly hostname: string; readonly port: number }): string {
  return entry.hostname.includes(":")
    ? `[${entry.hostname}]:${entry.port}`
    : `${entry.hostname}:${entry.port}`;
}

/**
 * Whether `hostname` is this host: the loopback range, `localhost`, or an address of one of its
 * network interfaces (in its network namespace).
 *
 * @example Loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocalHost } from "./hosts_file.ts";
 * assert.equal(isLocalHost("127.0.0.5"), true);
 * assert.equal(isLocalHost("localhost"), true);
 * assert.equal(isLocalHost("192.0.2.1"), false); // TEST-NET-1: never an interface here
 * ```
 */
export function isLocalHost(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "::1" || /^127\./.test(hostname)) return true;
  return Deno.networkInterfaces().some((i) => i.address === hostname);
}

/**
 * A wait of `ms` milliseconds in words: whole seconds from 1 s on, milliseconds below.
 *
 * @example Both
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitText } from "./hosts_file.ts";
 * assert.equal(waitText(60000), "60 s");
 * assert.equal(waitText(300), "300 ms");
 * ```
 */
export function waitText(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms)} ms`;
}
