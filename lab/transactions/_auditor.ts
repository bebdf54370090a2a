/**
 * The auditor of `lab transactions`: a process on the lab's control machine that collects the
 * clients' reports (stopping the clients when a participant or the coordinator died for good),
 * then audits all-or-nothing and the sum of the balances.
 * @module
 */
import { TimeoutError } from "../../core/errors.ts";
import type { Envelope } from "../../core/envelope.ts";
import type { ProcessFn } from "../../core/process.ts";
import { type Audit, audit } from "../../transactions/audit.ts";
import type { TransferReport } from "../../transactions/transfer_client.ts";
import { CONTROL_MACHINE } from "../deploy/deploy.ts";
import { delayTimeout } from "../_delay_timeouts.ts";
import type { Latency } from "../../core/latency.ts";

/** Ms without any client report after which the auditor stops waiting for the rest. */
const QUIET_MS = 30_000;
/**
 * Ms the auditor waits for the clients' reports once it told them to stop (a participant or
 * the coordinator died): a client ends its attempt first, whose every step waits at most its
 * timeout (1 s; END three times 2 s).
 */
const STOP_MS = 8_000;
/** Ms the audit keeps asking after a participant or the coordinator died. */
const LOST_SETTLE_MS = 2_000;

/** Whether `machine` hosts a transfer client (`c1.lab`, ...). */
export const isClient = (machine: string): boolean => /^c\d+\.lab$/.test(machine);

/** Tells the auditor that a machine died (`kill -9`): a client there owes no report. */
export interface LostNote {
  /** Always `machine-lost`. */
  readonly kind: "machine-lost";
  /** The machine that died. */
  readonly machine: string;
}

/** What the auditor gathers, read by the run once the auditor is done. */
export interface Audited {
  /** The clients' reports, in arrival order. */
  readonly reports: TransferReport[];
  /** Whether the auditor told the clients to stop (a participant or the coordinator died). */
  clientsStopped: boolean;
  /** The audit, once it ran. */
  result?: Audit;
}

/** Who the auditor waits for and audits. */
export interface AuditorOptions {
  /** The coordinator's address. */
  readonly coordinator: string;
  /** The participants' addresses. */
  readonly participants: readonly string[];
  /** Every machine of the run (its clients are those `isClient` names). */
  readonly machines: readonly string[];
  /** Reports expected (clients not crashed for good). */
  readonly expected: number;
  /** The run's latency (`--delay`): the waits above grow with it (see `delayTimeout`). */
  readonly latency?: Latency;
  /** Transfers each client makes (the quiet wait covers them at the latency's bound). */
  readonly transfers?: number;
  /** Resolved once the audit is in `audited.result`. */
  readonly done: () => void;
}

/**
 * The reports still owed: one per client, none from a client whose machine died; once a
 * participant or the coordinator died, a deadline for them.
 */
class ReportWait {
  /** Reports that can still come. */
  owed: number;
  /** Machines that died (the auditor's own view, from the lab's notes). */
  readonly down = new Set<string>();
  /** Clients that have not reported. */
  readonly #pending: Set<string>;
  /** Once the clients were told to stop: when their reports are due. */
  #dueBy: number | undefined;

  /** Ms without a report before giving up, and ms the stopped clients get to report. */
  readonly #quietMs: number;
  readonly #stopMs: number;

  constructor(options: AuditorOptions) {
    this.owed = options.expected;
    this.#pending = new Set(options.machines.filter(isClient));
    // A client reports at its end: up to ~16 trips a transfer (BEGIN, reads, writes, END).
    this.#quietMs = delayTimeout(QUIET_MS, options.latency, 16 * (options.transfers ?? 5));
    // An attempt's steps (5 waits of a round trip, END three times 6 trips): 28 trips.
    this.#stopMs = delayTimeout(STOP_MS, options.latency, 28);
  }

  /** How long to wait for the next message at `now`. */
  timeout(now: number): number {
    return this.#dueBy === undefined ? this.#quietMs : Math.max(0, this.#dueBy - now);
  }

  /**
   * Takes a message in: a report, or a machine lost; returns the clients to tell to stop (when
   * a participant or the coordinator is first found gone for good), else none.
   */
  take(message: Envelope<TransferReport | LostNote>, audited: Audited, now: number): string[] {
    const from = message.from.slice(message.from.indexOf("@") + 1);
    if (message.body.kind === "report") {
      audited.reports.push(message.body as TransferReport);
      this.#pending.delete(from);
    } else if (message.body.kind === "machine-lost" && from === CONTROL_MACHINE) {
      const machine = message.body.machine;
      this.down.add(machine);
      if (this.#pending.delete(machine)) this.owed--;
      else if (!isClient(machine) && this.#dueBy === undefined) {
        // A participant or the coordinator is gone for good: every transfer through it
        // would time out, attempt after attempt. The clients stop and report.
        this.#dueBy = now + this.#stopMs;
        audited.clientsStopped = true;
        return [...this.#pending];
      }
    }
    return [];
  }
}

/**
 * The auditor process: waits for the reports (a client that never reports counts as an error),
 * then audits the participants still answering, into `audited`.
 */
export function auditorProcess(options: AuditorOptions, audited: Audited): ProcessFn {
  return async (ctx) => {
    const wait = new ReportWait(options);
    try {
      while (audited.reports.length < wait.owed) {
        const message = await ctx.receive<TransferReport | LostNote>({
          timeout: wait.timeout(ctx.now()),
        });
        for (const client of wait.take(message, audited, ctx.now())) {
          await ctx.send(`client@${client}`, { kind: "tx-stop" });
        }
      }
    } catch (error) {
      // A client that never reports (it crashed for good, or failed to start) counts as an error.
      if (!(error instanceof TimeoutError)) throw error;
    }
    // A participant whose machine died cannot answer: it is not asked, and the others are
    // given a short settle only (a dead coordinator leaves them blocked for good).
    const answering = options.participants.filter((p) =>
      !wait.down.has(p.slice(p.indexOf("@") + 1))
    );
    const lostSystem = [...wait.down].some((m) => !isClient(m));
    audited.result = await audit(ctx, {
      coordinator: options.coordinator,
      participants: answering,
      settleMs: delayTimeout(lostSystem ? LOST_SETTLE_MS : 15_000, options.latency, 4),
      // Those alive answer at once; a dead coordinator costs three of these per round.
      ...(lostSystem ? { timeout: 500 } : {}),
    });
    options.done();
  };
}
