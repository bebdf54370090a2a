/**
 * The post office as a data-driven scenario (`tests/testdata/post_office.txt`): deposits,
 * collects and acknowledgements in; replies, trace lines and deadlines out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import { PostOfficeMachine } from "../core/storage/post_office.ts";
import { DiskMessageStore } from "../core/storage/message_store.ts";
import { MemoryDisk } from "../core/storage/memory_disk.ts";
import { runScenario } from "./_scenario.ts";

Deno.test("PostOfficeMachine keeps mail until the recipient collects and acknowledges it (scenario)", async () => {
  await runScenario(new URL("./testdata/post_office.txt", import.meta.url), (args) => {
    const store = new DiskMessageStore(new MemoryDisk().open("post-office"));
    return new PostOfficeMachine(store, Number(args.maxBatch ?? 64));
  });
});
