/**
 * MPI-style communication (seed 000, "Comunicación directa - MPI": SPMD, MPI_Comm_size and
 * MPI_Comm_rank, MPI_Send/MPI_Recv, MPI_Barrier/MPI_Bcast): every collective gives the right
 * result for 1 to 8 ranks, tags keep conversations apart, and a collective that cannot complete
 * fails with an error naming the missing rank instead of hanging.
 * @module
 */
import { Simulator } from "../core/simulator/simulator.ts";
import { Communicator } from "../peers/mpi_communicator.ts";
import { CommunicatorError } from "../peers/mpi_errors.ts";
import { rankAddress, simulateSpmd, spmdRank, type SpmdReport } from "../peers/spmd.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

Deno.test("Communicator collectives are correct for 1 to 8 ranks", async () => {
  for (let n = 1; n <= 8; n++) {
    const last = n - 1;
    const { reports } = await simulateSpmd(async (comm) => {
      const r = comm.rank;
      await comm.barrier();
      const bcast = await comm.bcast(r === last ? { from: r } : undefined, { root: last });
      const chunk = await comm.scatter(
        r === 0 ? Array.from({ length: n }, (_, i) => i * i) : undefined,
      );
      const gathered = await comm.gather(`r${r}`, { root: last });
      const all = await comm.allgather(r);
      const sum = await comm.reduce(r + 1, "sum", { root: last });
      const max = await comm.allreduce([r, -r], "max");
      const text = await comm.allreduce(String(r), (a, b) => a + b);
      // A ring: everyone sends to the next rank and receives from the previous one.
      await comm.send((r + 1) % n, r);
      const previous = await comm.recv<number>((r + n - 1) % n);
      await comm.barrier();
      return { size: comm.size, bcast, chunk, gathered, all, sum, max, text, previous };
    }, { size: n, seed: n });
    for (let r = 0; r < n; r++) {
      const got = reports[r]?.result as Record<string, unknown>;
      assertTrue(reports[r]?.ok, `n=${n} rank ${r}: ${reports[r]?.error}`);
      assertEquals(got.size, n);
      assertEquals(got.bcast, { from: last });
      assertEquals(got.chunk, r * r);
      assertEquals(
        got.gathered,
        r === last ? Array.from({ length: n }, (_, i) => `r${i}`) : undefined,
      );
      assertEquals(got.all, Array.from({ length: n }, (_, i) => i));
      assertEquals(got.sum, r === last ? (n * (n + 1)) / 2 : undefined);
      assertEquals(got.max, [last, 0]);
      assertEquals(got.text, Array.from({ length: n }, (_, i) => i).join(""));
      assertEquals(got.previous, (r + n - 1) % n);
    }
  }
});

Deno.test("Communicator.recv() matches tags and reports the source of any-source receives", async () => {
  const { reports } = await simulateSpmd(async (comm) => {
    if (comm.rank === 0) {
      await comm.send(1, "first, tag 1", { tag: 1 });
      await comm.send(1, "second, tag 2", { tag: 2 });
      return null;
    }
    if (comm.rank === 1) {
      const two = await comm.recv(0, { tag: 2 });
      const one = await comm.recv(0, { tag: 1 });
      const any = await comm.recvMessage();
      return [two, one, any.source, any.data];
    }
    await comm.send(1, "from 2");
    return null;
  }, { size: 3 });
  assertEquals(reports[1]?.result, ["second, tag 2", "first, tag 1", 2, "from 2"]);
});

Deno.test("Communicator.barrier() fails naming the crashed rank at every surviving rank", async () => {
  for (const n of [3, 5]) {
    const { reports } = await simulateSpmd(async (comm) => {
      await comm.barrier();
      await comm.ctx.sleep(100);
      await comm.barrier();
    }, {
      size: n,
      timeout: 500,
      setup: (sim) => sim.crash("rank2.lab", { at: 50 }),
    });
    assertEquals(reports[2], undefined);
    for (let r = 0; r < n; r++) {
      if (r === 2) continue;
      assertTrue(!reports[r]?.ok);
      assertTrue(
        reports[r]!.error!.startsWith("Cannot complete barrier: rank 2 (spmd@rank2.lab)"),
        reports[r]!.error,
      );
    }
  }
});

Deno.test("Communicator.recv() times out naming the rank it waited for", async () => {
  const { reports } = await simulateSpmd(async (comm) => {
    if (comm.rank === 1) {
      try {
        await comm.recv(0, { timeout: 300 });
      } catch (error) {
        assertTrue(error instanceof CommunicatorError);
        assertEquals(error.missing, [0]);
        return error.message;
      }
    }
    return null;
  }, { size: 2 });
  assertTrue(
    String(reports[1]?.result).includes("rank 0 (spmd@rank0.lab) sent nothing within 300 ms"),
  );
});

Deno.test("Communicator collectives called in different orders fail with a clear error", async () => {
  const { reports } = await simulateSpmd(async (comm) => {
    if (comm.rank === 0) await comm.allgather("x");
    else await comm.barrier();
  }, { size: 3, timeout: 500 });
  for (const r of reports) {
    assertTrue(/rank [12] called barrier where rank 0 called allgather/.test(r!.error!), r!.error);
  }
});

Deno.test("Communicator.scatter() with the wrong number of chunks fails at every rank", async () => {
  const { reports } = await simulateSpmd(async (comm) => {
    await comm.scatter(comm.rank === 0 ? [1, 2] : undefined);
  }, { size: 3, timeout: 500 });
  for (const r of reports) {
    assertTrue(!r?.ok);
    assertTrue(r!.error!.includes("2 chunks for 3 ranks"), r!.error);
  }
});

Deno.test("Communicator.init() waits for a rank that starts late and names one that never starts", async () => {
  const run = async (lateAt: number | undefined) => {
    const sim = new Simulator({ seed: 1 });
    const ranks = [0, 1, 2].map(rankAddress);
    const reports: SpmdReport[] = [];
    const fn = spmdRank({
      ranks,
      main: (comm) => comm.allreduce(1, "sum"),
      // rank0.lab does not exist until 300 ms: the hellos sent to it before are lost and resent
      // after the channel's initial RTO (3 s), so the handshake needs longer than that.
      timeout: 5_000,
      onReport: (r) => reports[r.rank] = r,
    });
    sim.machine("rank1.lab").spawn("spmd", fn);
    sim.machine("rank2.lab").spawn("spmd", fn);
    if (lateAt !== undefined) sim.at(lateAt, () => sim.machine("rank0.lab").spawn("spmd", fn));
    await sim.run();
    return reports;
  };
  assertEquals((await run(300)).map((r) => r.result), [3, 3, 3]);
  const never = await run(undefined);
  assertTrue(never[1].error!.startsWith("Cannot complete init: rank 0 (spmd@rank0.lab)"));
});

Deno.test("Communicator() rejects a process outside the group and ranks out of range", async () => {
  const sim = new Simulator({ seed: 1 });
  let checked = false;
  sim.machine("rank0.lab").spawn("spmd", async (ctx) => {
    assertThrows(() => new Communicator(ctx, ["a@b.lab"]), TypeError, "not among the ranks");
    const comm = new Communicator(ctx, [rankAddress(0)]);
    assertEquals([comm.rank, comm.size], [0, 1]);
    await assertRejects(() => comm.send(3, "x"), RangeError);
    await assertRejects(() => comm.bcast(1, { root: 2 }), RangeError);
    checked = true;
  });
  await sim.run();
  assertTrue(checked);
});
