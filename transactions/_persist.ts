/**
 * Carries out a transaction protocol's {@link StableWrite}s on a process's stable storage: the
 * `persist` option of core's `drive()`.
 * @module
 */
import type { ProcessContext } from "../core/process.ts";
import { FAILPOINT_PREFIX, failpointFlag } from "./failpoint.ts";
import type { StableStorage } from "./stable_storage.ts";
import type { StableWrite } from "./stable_write.ts";

/**
 * The writer of `store` for the process of `ctx`. A write that returns a promise (PostgreSQL)
 * is awaited by the driver; a synchronous one (a disk) is done already, so a simulated process
 * does not even yield for it. A failpoint pauses the process `failpointMs` after marking it.
 */
export function persistTo(
  ctx: ProcessContext,
  store: StableStorage,
  failpointMs: number,
): (write: StableWrite) => void | Promise<void> {
  return (write) => {
    switch (write.kind) {
      case "append":
        return store.append(write.record);
      case "apply":
        return store.apply(write.writes, write.record);
      case "failpoint":
        return pauseAt(ctx, store, write, failpointMs);
    }
  };
}

/** Marks the failpoint fired, says so in the trace and pauses for the harness to crash us. */
async function pauseAt(
  ctx: ProcessContext,
  store: StableStorage,
  write: StableWrite & { kind: "failpoint" },
  failpointMs: number,
): Promise<void> {
  const written = store.setMeta(failpointFlag(write.name), "fired");
  if (written instanceof Promise) await written;
  ctx.log(`${FAILPOINT_PREFIX}${write.name} ${write.txid}: pausing ${failpointMs} ms`);
  await ctx.sleep(failpointMs);
}
