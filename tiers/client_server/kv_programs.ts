/**
 * Programs of the client/server key-value architecture.
 * @module
 */
import type { Program } from "../../core/process.ts";
import { kvClient, type KvClientOptions } from "./kv_client.ts";
import { kvServer, type KvServerOptions } from "./kv_server.ts";

/** Key-value programs by name: `kv-server` and `kv-client`. */
export const kvPrograms: Readonly<Record<string, Program>> = {
  "kv-server": (args) => kvServer(args as KvServerOptions),
  "kv-client": (args) => kvClient(args as unknown as KvClientOptions),
};
