/**
 * The Node implementation of the `Deno` APIs archlab uses, for the npm build: import `Deno`
 * from here instead of using the global.
 * @module
 */
export * from "./deno.ts";
