/**
 * Group communication's messages: the closed union (keyed on `kind`) of what the membership
 * service, the members' endpoints and the user processes exchange.
 * @module
 */
import type { Address } from "../core/name.ts";
import type {
  FlushReport,
  GroupDelivery,
  GroupEndReason,
  GroupFrontier,
  GroupMessage,
  GroupOrder,
  InstallPlan,
  OrderedEntry,
  View,
} from "./types.ts";

/** Requests to the membership service and their answers, over request/reply. */
export type GroupRequest =
  | {
    readonly kind: "g-create";
    readonly group: string;
    readonly order: GroupOrder;
    readonly closed: boolean;
  }
  | { readonly kind: "g-destroy"; readonly group: string }
  | { readonly kind: "g-lookup"; readonly group: string; readonly sender: Address };

/** Answers of the membership service and of a contact endpoint. */
export type GroupAnswer =
  | {
    readonly kind: "g-ok";
    readonly view?: View;
    readonly order?: GroupOrder;
    readonly closed?: boolean;
  }
  | {
    readonly kind: "g-error";
    readonly group: string;
    readonly reason: string;
    readonly message: string;
    readonly sender?: Address;
  };

/**
 * Messages between the membership service and members' endpoints. Each names the endpoint's
 * incarnation: the service ignores what an incarnation it no longer knows sends, and an endpoint
 * ignores what was meant for another incarnation at its address (a frame sent to a member before
 * its machine restarted can still arrive after the restart).
 */
export type MembershipWire =
  | {
    readonly kind: "g-join";
    readonly group: string;
    readonly member: Address;
    readonly incarnation: string;
    readonly create?: { readonly order: GroupOrder; readonly closed: boolean };
  }
  | {
    readonly kind: "g-leave";
    readonly group: string;
    readonly member: Address;
    readonly incarnation: string;
  }
  | {
    readonly kind: "g-heartbeat";
    readonly group: string;
    readonly member: Address;
    readonly incarnation: string;
    readonly view: number;
    readonly frontier: GroupFrontier;
    /** The group's settings, so that a restarted service can take the group up again. */
    readonly settings?: { readonly order: GroupOrder; readonly closed: boolean };
    /** The member asked to leave and waits for the service to confirm. */
    readonly leaving?: boolean;
  }
  | {
    readonly kind: "g-stable";
    readonly group: string;
    readonly incarnation: string;
    readonly view: number;
    readonly stable: GroupFrontier;
  }
  | {
    readonly kind: "g-prepare";
    readonly group: string;
    readonly incarnation: string;
    readonly from: number;
    readonly target: number;
    readonly attempt: number;
  }
  | {
    readonly kind: "g-flushed";
    readonly group: string;
    readonly incarnation: string;
    readonly target: number;
    readonly attempt: number;
    readonly report: FlushReport;
  }
  | {
    readonly kind: "g-install";
    readonly group: string;
    readonly incarnation: string;
    readonly order: GroupOrder;
    readonly closed: boolean;
    readonly plan: InstallPlan;
  }
  | {
    readonly kind: "g-end";
    readonly group: string;
    readonly incarnation: string;
    readonly reason: GroupEndReason;
    readonly message: string;
  };

/** Messages between members' endpoints. */
export type PeerWire =
  | { readonly kind: "g-data"; readonly group: string; readonly message: GroupMessage }
  | { readonly kind: "g-submit"; readonly group: string; readonly message: GroupMessage }
  | {
    readonly kind: "g-order";
    readonly group: string;
    readonly view: number;
    readonly entry: OrderedEntry;
  }
  | {
    readonly kind: "g-forward";
    readonly group: string;
    readonly origin: Address;
    readonly body: unknown;
  };

/** Messages between a user process and its own endpoint (same machine). */
export type LocalWire =
  | { readonly kind: "g-mcast"; readonly body: unknown }
  | { readonly kind: "g-bye" }
  | { readonly kind: "g-deliver"; readonly delivery: GroupDelivery }
  | {
    readonly kind: "g-view";
    readonly view: View;
    readonly order: GroupOrder;
    readonly closed: boolean;
  }
  | { readonly kind: "g-closed"; readonly reason: GroupEndReason; readonly message: string };

/** Everything the group layer sends. */
export type GroupWire = GroupRequest | GroupAnswer | MembershipWire | PeerWire | LocalWire;

/** Message kinds a user process receives from its endpoint. */
export const LOCAL_KINDS: readonly string[] = ["g-deliver", "g-view", "g-closed"];
