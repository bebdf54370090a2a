/**
 * The machines of `lab three-tier`: which tier runs on which machine, the addresses of the tier
 * processes, and the machine specs a deployment starts from its settings.
 * @module
 */
import { CONTROL_MACHINE, type MachineSpec } from "../deploy/deploy.ts";

/** The machines of the three tiers. */
export const THREE_TIER_MACHINES = {
  presentation: "web.lab",
  logic: "logic.lab",
  data: "data.lab",
} as const;

/** Address of the presentation process. */
export const PRESENTATION = `http@${THREE_TIER_MACHINES.presentation}`;
/** Address of the logic process. */
export const LOGIC = `logic@${THREE_TIER_MACHINES.logic}`;
/** Address of the connection pool process. */
export const POOL = `pool@${THREE_TIER_MACHINES.logic}`;
/** Address of the data process. */
export const DATA = `db@${THREE_TIER_MACHINES.data}`;

/** Settings of a three-tier deployment. */
export interface ThreeTierSettings {
  /** Run in the simulator (no HTTP server, `:memory:` database). @default false */
  readonly sim?: boolean;
  /** SQLite file (real mode). @default ":memory:" */
  readonly dbPath?: string;
  /**
   * PostgreSQL URL for the data tier instead of `dbPath` (real mode only: a real database is
   * outside the simulator's virtual time). @default none
   */
  readonly dbUrl?: string;
  /** HTTP port (real mode). @default 0 */
  readonly port?: number;
  /** Sessions in the pool. @default 4 */
  readonly poolSize?: number;
  /** Most ms waiting for a pooled session. @default 500 */
  readonly poolWaitMs?: number;
  /** Default request budget, in ms. @default 2000 */
  readonly budgetMs?: number;
  /** Most ms for one answer of the data tier. @default 1000 */
  readonly dataTimeoutMs?: number;
  /** Modelled work: presentation and logic per request, data per statement. @default all 0 */
  readonly cost?: {
    readonly presentation: number;
    readonly logic: number;
    readonly statement: number;
  };
  /** Where the presentation reports `{kind: "listening", url}`. @default `collector@ctl.lab` in real mode */
  readonly collector?: string;
}

/**
 * The machine specs of the three tiers.
 *
 * @example Three machines, one tier each
 * ```ts
 * import assert from "node:assert/strict";
 * import { threeTierMachines } from "./command.ts";
 * const machines = threeTierMachines({ sim: true });
 * assert.deepEqual(machines.map((m) => m.name), ["web.lab", "logic.lab", "data.lab"]);
 * const postgres = threeTierMachines({ dbUrl: "postgres://lab@127.0.0.1:5432/library" });
 * assert.deepEqual(postgres[2].processes[0].args, {
 *   url: "postgres://lab@127.0.0.1:5432/library",
 *   statementMs: 0,
 * });
 * assert.throws(() => threeTierMachines({ sim: true, dbUrl: "postgres://lab@db/x" }), TypeError);
 * ```
 * @throws {TypeError} for `dbUrl` with `sim`.
 */
export function threeTierMachines(settings: ThreeTierSettings = {}): MachineSpec[] {
  const cost = settings.cost ?? { presentation: 0, logic: 0, statement: 0 };
  const real = settings.sim !== true;
  if (!real && settings.dbUrl !== undefined) {
    throw new TypeError(
      "Cannot deploy the three tiers in the simulator with dbUrl: a PostgreSQL server is real " +
        "I/O outside virtual time; use sim: false, or leave dbUrl out (SQLite in memory)",
    );
  }
  return [
    {
      name: THREE_TIER_MACHINES.presentation,
      processes: [{
        name: "http",
        program: "three-tier-presentation",
        args: {
          logic: LOGIC,
          budgetMs: settings.budgetMs ?? 2000,
          workMs: cost.presentation,
          ...(real ? { port: settings.port ?? 0 } : {}),
          ...(real ? { collector: settings.collector ?? `collector@${CONTROL_MACHINE}` } : {}),
        },
      }],
    },
    {
      name: THREE_TIER_MACHINES.logic,
      processes: [{
        name: "logic",
        program: "three-tier-logic",
        args: {
          data: DATA,
          poolSize: settings.poolSize ?? 4,
          poolWaitMs: settings.poolWaitMs ?? 500,
          dataTimeoutMs: settings.dataTimeoutMs ?? 1000,
          workMs: cost.logic,
        },
      }],
    },
    {
      name: THREE_TIER_MACHINES.data,
      processes: [{
        name: "db",
        program: "three-tier-data",
        args: {
          ...(settings.dbUrl !== undefined
            ? { url: settings.dbUrl }
            : { path: real ? settings.dbPath ?? ":memory:" : ":memory:" }),
          statementMs: cost.statement,
        },
      }],
    },
  ];
}
