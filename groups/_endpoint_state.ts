/**
 * The protocol state of a group endpoint, shared by its message path
 * (`_group_endpoint_delivery.ts`) and its view changes (`_group_endpoint_view.ts`).
 * @module
 */
import { createHoldBack, type HoldBack, TotalQueue } from "./order.ts";
import type { Sequencer } from "./sequencer.ts";
import type { GroupMessage, GroupOrder, OrderedEntry, View } from "./types.ts";
import type { GroupWire } from "./messages.ts";
import type { Address } from "../core/name.ts";
import type { VectorClock } from "../core/vector_clock.ts";

/** Where the endpoint is in its life. */
export type Phase = "joining" | "normal" | "flushing" | "ended";

/** Everything one endpoint knows of its group. */
export interface EndpointState {
  /** The group. */
  readonly group: string;
  /** The member served. */
  readonly member: Address;
  /** The endpoint's incarnation. */
  readonly incarnation: string;
  /** Address of the membership service. */
  readonly manager: Address;
  phase: Phase;
  order: GroupOrder;
  closed: boolean;
  view: View | null;
  /** This incarnation's stream of multicasts: `<member>#<incarnation>`. */
  readonly stream: string;
  index: number;
  hb: VectorClock;
  seq: number;
  queue: HoldBack;
  total: TotalQueue;
  sequencer: Sequencer | null;
  retained: Map<string, GroupMessage>;
  entries: Map<number, OrderedEntry>;
  pending: Map<string, GroupMessage>;
  future: { view: number; body: GroupWire }[];
  deferredPrepare: Extract<GroupWire, { kind: "g-prepare" }> | null;
  outbox: { body: unknown; origin?: Address }[];
}

/** The state of an endpoint that has not joined yet. */
export function newEndpointState(
  group: string,
  member: Address,
  incarnation: string,
  manager: Address,
): EndpointState {
  return {
    group,
    member,
    incarnation,
    manager,
    phase: "joining",
    order: "none",
    closed: false,
    view: null,
    stream: `${member}#${incarnation}`,
    index: 0,
    hb: {},
    seq: 0,
    queue: createHoldBack("none"),
    total: new TotalQueue(1),
    sequencer: null,
    retained: new Map(),
    entries: new Map(),
    pending: new Map(),
    future: [],
    deferredPrepare: null,
    outbox: [],
  };
}
