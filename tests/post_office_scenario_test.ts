/**
 * The post office as a data-driven scenario (`tests/testdata/post_office.txt`): deposits,
 * collects and acknowledgements in; replies, trace lines and deadlines out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import { PostOfficeMachine } from "../core/storage/post_office_machine.ts";
import { SqliteMessageStore } from "../core/storage/sqlite_message_store.ts";
import { runScenario } from "./_scenario.ts";

Deno.test("PostOfficeMachine keeps mail until the recipient collects and acknowledges it (scenario)", async () => {
  const stores: SqliteMessageStore[] = [];
  try {
    await runScenario(new URL("./testdata/post_office.txt", import.meta.url), (args) => {
      const store = new SqliteMessageStore(":memory:");
      stores.push(store);
      return new PostOfficeMachine(store, Number(args.maxBatch ?? 64));
    });
  } finally {
    for (const store of stores) store.close();
  }
});
