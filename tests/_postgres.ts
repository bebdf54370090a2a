/**
 * A throwaway PostgreSQL server for tests: `initdb` makes a cluster in a temporary directory,
 * `pg_ctl` starts it on a free port of 127.0.0.1 (and a Unix socket in that directory), and
 * {@link withPostgres} always stops it (`pg_ctl stop -m immediate`) and removes the directory.
 * Run as root, the server runs as the unprivileged user `nobody` (initdb refuses root). Without
 * PostgreSQL installed the helper fails with how to install it: it never skips.
 * @module
 */
import { dirname } from "node:path";

/** A running throwaway server. */
export interface PostgresServer {
  /** Its TCP port on 127.0.0.1. */
  readonly port: number;
  /** The URL of `database` as the superuser `archlab` (trust authentication). */
  url(database?: string): string;
  /** Creates a new, empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
}

const INSTALL = "install Debian's postgresql package (apt-get install -y postgresql; .ci/run " +
  "installs it when missing)";
const BINARIES = ["initdb", "pg_ctl", "createdb"];
const decoder = new TextDecoder();

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function findBinaries(): Promise<string> {
  const candidates: string[] = [];
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) if (dir) candidates.push(dir);
  try {
    const versions: number[] = [];
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
    for (const v of versions.sort((a, b) => b - a)) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch (error) {
    // No Debian PostgreSQL directory: only PATH can have the binaries.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const dir of candidates) {
    let real: string;
    try {
      // /usr/local/bin may hold links to one version's binaries: use that version's directory.
      real = dirname(await Deno.realPath(`${dir}/pg_ctl`));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue; // Not in this directory.
      throw error;
    }
    const found = await Promise.all(
      BINARIES.map((b) => exists(`${real}/${b}`)),
    );
    if (found.every(Boolean)) return real;
  }
  throw new Error(
    `Cannot start a PostgreSQL server for the tests: ${BINARIES.join(", ")} are in neither ` +
      `PATH nor /usr/lib/postgresql/*/bin; ${INSTALL}`,
  );
}

async function run(user: string | undefined, command: string, args: string[]): Promise<string> {
  const [program, programArgs] = user === undefined
    ? [command, args]
    : ["runuser", ["-u", user, "--", command, ...args]];
  const output = await new Deno.Command(program, {
    args: programArgs,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);
  if (!output.success) {
    throw new Error(`Cannot run ${command} ${args.join(" ")} (exit ${output.code}): ${text}`);
  }
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run(undefined, "id", ["-u", name])).trim());
  const gid = Number((await run(undefined, "id", ["-g", name])).trim());
  return { uid, gid };
}

/**
 * Starts a throwaway cluster, runs `body` with it, and always stops it and removes its files.
 * @throws {Error} saying how to install PostgreSQL when initdb or pg_ctl is missing.
 */
export async function withPostgres<T>(body: (server: PostgresServer) => Promise<T>): Promise<T> {
  const bin = await findBinaries();
  const root = Deno.uid() === 0;
  const user = root ? "nobody" : undefined;
  // Under /tmp, not $TMPDIR: the unprivileged server user must be able to reach the directory.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "archlab-pg-" });
  const data = `${dir}/data`;
  try {
    if (user !== undefined) {
      const { uid, gid } = await userIds(user);
      await Deno.chown(dir, uid, gid);
    }
    await run(user, `${bin}/initdb`, [
      "-D",
      data,
      "-U",
      "archlab",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
      "--no-instructions",
    ]);
    let port = 0;
    for (let attempt = 1, started = false; !started; attempt++) {
      port = freePort();
      try {
        await run(user, `${bin}/pg_ctl`, [
          "-D",
          data,
          "-o",
          `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
          "-l",
          `${dir}/server.log`,
          "-w",
          "-t",
          "60",
          "start",
        ]);
        started = true;
      } catch (error) {
        // Another program may have taken the free port in between: try another, three times.
        if (attempt >= 3) {
          const log = await Deno.readTextFile(`${dir}/server.log`).catch((e) => `(no log: ${e})`);
          throw new Error(`${(error as Error).message}\nserver log:\n${log}`);
        }
      }
    }
    const url = (database = "postgres") => `postgres://archlab@127.0.0.1:${port}/${database}`;
    const server: PostgresServer = {
      port,
      url,
      async createDatabase(name) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
          throw new TypeError(`Cannot create database "${name}": use [a-z0-9_] only`);
        }
        await run(user, `${bin}/createdb`, ["-h", dir, "-p", String(port), "-U", "archlab", name]);
        return url(name);
      },
    };
    return await body(server);
  } finally {
    if (await exists(`${data}/postmaster.pid`)) {
      await run(user, `${bin}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"]);
    }
    await Deno.remove(dir, { recursive: true });
  }
}
