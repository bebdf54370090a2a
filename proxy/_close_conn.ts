/**
 * Closing an origin connection that a deadline, an abort or the end of its body may have closed
 * already.
 * @module
 */

/** Closes `conn` unless it is closed already. */
export function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
    // Closed already (by the deadline or the end of the body): nothing left to release.
  }
}
