/**
 * Renders a trace as a Mermaid `sequenceDiagram`: one participant per process, one arrow per
 * delivered message, a cross for each lost one, notes for crashes, partitions and retransmissions.
 * @module
 */
import type { TraceEvent } from "./trace.ts";

function participant(address: string): string {
  return address.replace(/[^A-Za-z0-9_]/g, "_");
}

function text(event: TraceEvent): string {
  return (event.label || event.kind || "").replace(/[;#:\n]/g, " ").trim() || "msg";
}

/**
 * Turns trace events into Mermaid sequence-diagram source.
 *
 * @example A delivered and a lost message
 * ```ts
 * import assert from "node:assert/strict";
 * import { toMermaid } from "./mermaid.ts";
 * const source = toMermaid([
 *   { t: 0, ev: "send", at: "a@m1.lab", id: "1", from: "a@m1.lab", to: "b@m2.lab", label: "GET x" },
 *   { t: 1, ev: "deliver", at: "b@m2.lab", id: "1", from: "a@m1.lab", to: "b@m2.lab" },
 *   { t: 2, ev: "drop", at: "m1.lab", id: "2", from: "a@m1.lab", to: "b@m2.lab", kind: "get", note: "lost" },
 * ]);
 * assert.match(source, /a_m1_lab->>b_m2_lab: GET x/);
 * assert.match(source, /a_m1_lab-xb_m2_lab: get \(lost\)/);
 * ```
 */
export function toMermaid(events: readonly TraceEvent[]): string {
  const labels = new Map<string, string>();
  const participants = new Map<string, string>();
  const lines: string[] = [];
  const see = (address: string | undefined) => {
    if (address && address.includes("@") && !participants.has(address)) {
      participants.set(address, participant(address));
    }
  };
  for (const event of events) {
    see(event.from);
    see(event.to);
    switch (event.ev) {
      case "send":
        if (event.id) labels.set(event.id, text(event));
        break;
      case "deliver":
        lines.push(
          `  ${participant(event.from!)}->>${participant(event.to!)}: ${
            labels.get(event.id!) ?? text(event)
          }`,
        );
        break;
      case "drop":
        if (event.from && event.to) {
          lines.push(
            `  ${participant(event.from)}-x${participant(event.to)}: ${
              labels.get(event.id!) ?? text(event)
            } (${event.note ?? "lost"})`,
          );
        }
        break;
      case "retransmit":
        if (event.from) {
          lines.push(
            `  Note over ${participant(event.from)}: retransmit ${labels.get(event.id!) ?? ""}`,
          );
        }
        break;
      case "crash":
      case "restart":
      case "partition":
      case "heal": {
        const inside = [...participants.entries()].filter(([a]) => a.endsWith(`@${event.at}`));
        const who = inside.length > 0 ? inside.map(([, p]) => p) : [...participants.values()];
        if (who.length > 0) {
          const span = who.length > 1 ? `${who[0]},${who[who.length - 1]}` : who[0];
          lines.push(`  Note over ${span}: ${event.ev} ${event.note ?? event.at}`);
        }
        break;
      }
    }
  }
  const head = ["sequenceDiagram"];
  for (const [address, id] of participants) head.push(`  participant ${id} as ${address}`);
  return [...head, ...lines].join("\n") + "\n";
}
