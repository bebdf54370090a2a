/**
 * Colours and sizes shared by the SVG writer and the browser viewer (plain data, so the HTML
 * writer can embed it as JSON).
 * @module
 */

/** The diagram's palette and sizes. */
export const STYLE = {
  /** Colours of message kinds, picked by a hash of the kind. */
  kinds: [
    "#2b6cb0",
    "#2f855a",
    "#805ad5",
    "#b7791f",
    "#00838f",
    "#6b46c1",
    "#c05621",
    "#2c7a7b",
    "#4a5568",
    "#97266d",
  ],
  drop: "#e53e3e",
  suppressed: "#718096",
  control: "#a0aec0",
  lifeline: "#a0aec0",
  crash: "#c53030",
  restart: "#2f855a",
  timeout: "#dd6b20",
  timer: "#a0aec0",
  log: "#4a5568",
  partition: "rgba(229, 62, 62, 0.10)",
  blocked: "rgba(221, 107, 32, 0.35)",
  sync: "rgba(49, 130, 206, 0.30)",
  waiting: "rgba(113, 128, 150, 0.25)",
  machine: ["#ebf4ff", "#f0fff4", "#fffaf0", "#faf5ff", "#e6fffa", "#fff5f7"],
  header: 64,
  axis: 64,
} as const;

/**
 * The colour of a message kind: a stable pick from the palette.
 *
 * @example Same kind, same colour
 * ```ts
 * import assert from "node:assert/strict";
 * import { kindColor } from "./_style.ts";
 * assert.equal(kindColor("get"), kindColor("get"));
 * assert.match(kindColor("put"), /^#[0-9a-f]{6}$/);
 * ```
 */
export function kindColor(kind: string): string {
  let h = 0;
  for (let i = 0; i < kind.length; i++) h = (h * 31 + kind.charCodeAt(i)) >>> 0;
  return STYLE.kinds[h % STYLE.kinds.length];
}
