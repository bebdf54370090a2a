/**
 * Test hosts on this machine: Linux network namespaces joined by a bridge, one for the lab and
 * one per host, each with its own address on 10.231.N.0/24 (private to these namespaces: no
 * traffic leaves them). Real faults come from nftables at a host's ingress (`tc netem` is not in
 * this kernel). Needs root, `ip` (iproute2) and `nft` (nftables); {@link netnsUnavailable} says
 * why not, for a test to skip. Every name is unique to the test process; {@link TestNet.close}
 * kills what runs there and deletes the namespaces (their interfaces and nft tables go with
 * them). Every wait is bounded.
 * @module
 */

/** One namespace: a host of the test network. */
export interface Site {
  /** The namespace's name. */
  readonly ns: string;
  /** Its address on the bridge. */
  readonly ip: string;
  /** Its interface on the bridge. */
  readonly dev: string;
}

/** A process started in a namespace, in its own process group. */
export interface SiteProcess {
  /** Reads stderr until `pattern` matches what was read so far; false if it ended first. */
  waitForStderr(pattern: RegExp): Promise<boolean>;
  /** Waits for it to end (killed after `limitMs`); its exit code, stdout and stderr. */
  end(): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }>;
  /** Kills its process group. */
  kill(): void;
}

/** The lab's namespace and the hosts' ones. */
export interface TestNet {
  readonly lab: Site;
  readonly hosts: readonly Site[];
  /** Starts `cmd` in `site`'s namespace; killed after `limitMs` (the test then fails). */
  spawn(site: Site, cmd: readonly string[], limitMs: number): SiteProcess;
  /** Runs `nft ARGS` in `site`'s namespace; its stdout. */
  nft(site: Site, ...args: string[]): Promise<string>;
  /** Kills every process it started and deletes its namespaces. */
  close(): Promise<void>;
}

let made = 0;

async function run(cmd: string, args: readonly string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args: [...args], stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot run ${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Why namespaces cannot be made here (not root, no `ip netns`, no `nft`); `undefined` if they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces are Linux only";
  if (Deno.uid() !== 0) return "not root: making network namespaces needs root";
  try {
    await run("nft", ["--version"]);
  } catch (error) {
    return `nft (nftables) is missing: apt-get install -y nftables (${(error as Error).message})`;
  }
  // What the tests make, made once in a namespace of its own: a bridge, a veth pair, a table.
  const probe = `alprobe${Deno.pid}`;
  try {
    await run("ip", ["netns", "add", probe]);
  } catch (error) {
    return `ip netns fails: ${(error as Error).message}`;
  }
  try {
    await run("ip", ["-n", probe, "link", "add", "br0", "type", "bridge"]);
    await run("ip", ["-n", probe, "link", "add", "pa", "type", "veth", "peer", "name", "pb"]);
    await run("ip", ["netns", "exec", probe, "nft", "add", "table", "inet", "probe"]);
  } catch (error) {
    return `this kernel cannot make the test network: ${(error as Error).message}`;
  } finally {
    await run("ip", ["netns", "del", probe]);
  }
  return undefined;
}

function siteProcess(child: Deno.ChildProcess, limitMs: number): SiteProcess {
  let killed = false;
  const kill = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL");
    } catch (error) {
      // Its group is gone already: nothing left to kill.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };
  const guard = setTimeout(() => {
    killed = true;
    kill();
  }, limitMs);
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let stderr = "";
  return {
    async waitForStderr(pattern) {
      while (!pattern.test(stderr)) {
        const { value, done } = await reader.read();
        if (done) return false;
        stderr += value;
      }
      return true;
    },
    async end() {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += value;
      }
      const status = await child.status;
      clearTimeout(guard);
      return { code: status.code, stdout: await stdout, stderr, killed };
    },
    kill: () => {
      clearTimeout(guard);
      kill();
    },
  };
}

/** Makes the lab's namespace and `hosts` host namespaces on one bridge. */
export async function createNet(hosts: number): Promise<TestNet> {
  const id = `al${Deno.pid % 100000}x${++made}`;
  const subnet = `10.231.${(Deno.pid + made) % 250}`;
  const created: string[] = [];
  const started: SiteProcess[] = [];
  const close = async () => {
    for (const p of started) p.kill();
    for (const ns of created.reverse()) {
      await run("ip", ["netns", "del", ns]).catch((error) =>
        console.error(`could not delete namespace ${ns}: ${error.message}`)
      );
    }
  };
  try {
    const labNs = `${id}lab`;
    await run("ip", ["netns", "add", labNs]);
    created.push(labNs);
    await run("ip", ["-n", labNs, "link", "set", "lo", "up"]);
    await run("ip", ["-n", labNs, "link", "add", "br0", "type", "bridge"]);
    await run("ip", ["-n", labNs, "addr", "add", `${subnet}.1/24`, "dev", "br0"]);
    await run("ip", ["-n", labNs, "link", "set", "br0", "up"]);
    const sites: Site[] = [];
    for (let i = 1; i <= hosts; i++) {
      const ns = `${id}h${i}`;
      await run("ip", ["netns", "add", ns]);
      created.push(ns);
      const a = `${id}a${i}`, b = `${id}b${i}`;
      // Made inside the namespaces: nothing appears in the machine's own network.
      await run("ip", [
        "-n",
        labNs,
        "link",
        "add",
        a,
        "type",
        "veth",
        "peer",
        "name",
        b,
        "netns",
        ns,
      ]);
      await run("ip", ["-n", labNs, "link", "set", a, "master", "br0"]);
      await run("ip", ["-n", labNs, "link", "set", a, "up"]);
      await run("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await run("ip", ["-n", ns, "addr", "add", `${subnet}.${i + 1}/24`, "dev", b]);
      await run("ip", ["-n", ns, "link", "set", b, "up"]);
      sites.push({ ns, ip: `${subnet}.${i + 1}`, dev: b });
    }
    return {
      lab: { ns: labNs, ip: `${subnet}.1`, dev: "br0" },
      hosts: sites,
      spawn(site, cmd, limitMs) {
        const child = new Deno.Command("setsid", {
          args: ["ip", "netns", "exec", site.ns, ...cmd],
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).spawn();
        const p = siteProcess(child, limitMs);
        started.push(p);
        return p;
      },
      nft: (site, ...args) => run("ip", ["netns", "exec", site.ns, "nft", ...args]),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits until `probe` is true, trying every `everyMs` for at most `limitMs`; false if never. */
export async function until(
  probe: () => Promise<boolean>,
  limitMs: number,
  everyMs = 100,
): Promise<boolean> {
  const tries = Math.ceil(limitMs / everyMs);
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}
