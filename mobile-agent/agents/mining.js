/**
 * The built-in mining agent: at each node it selects the sales above `state.minAmount` (the
 * filter runs where the data is, through the node's query capability) and folds them into its
 * state: a count, a sum, per-region totals and the matching rows themselves. It carries that
 * state from node to node and brings it home when the itinerary ends. `merge` combines the states
 * of parallel copies or clones.
 *
 * Initial state: `{ minAmount, count: 0, sum: 0, byRegion: {}, matches: [] }`.
 * @module
 */

/**
 * Runs on arrival at each node.
 * @param {{ node: string, state: any, query(q: object): Promise<any[]>, log(...parts: unknown[]): void }} ctx
 */
export async function onArrival(ctx) {
  const state = ctx.state;
  const rows = await ctx.query({
    where: [["amount", ">", state.minAmount]],
    orderBy: "id",
    arrays: true,
  });
  for (const row of rows) {
    const region = row[2];
    const amount = row[5];
    state.count += 1;
    state.sum += amount;
    const total = state.byRegion[region] ?? (state.byRegion[region] = { count: 0, sum: 0 });
    total.count += 1;
    total.sum += amount;
    state.matches.push(row);
  }
  ctx.log(`${ctx.node}: ${rows.length} matching rows`);
}

/**
 * Merges the states brought back by parallel copies or clones.
 * @param {any[]} results
 */
export function merge(results) {
  const merged = {
    minAmount: results[0]?.minAmount ?? 0,
    count: 0,
    sum: 0,
    byRegion: {},
    matches: [],
  };
  for (const state of results) {
    merged.count += state.count;
    merged.sum += state.sum;
    for (const [region, total] of Object.entries(state.byRegion)) {
      const into = merged.byRegion[region] ?? (merged.byRegion[region] = { count: 0, sum: 0 });
      into.count += total.count;
      into.sum += total.sum;
    }
    merged.matches.push(...state.matches);
  }
  return merged;
}
