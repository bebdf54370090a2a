/**
 * How the presentation tier answers an `http` message (the simulator's stand-in for a socket):
 * the message becomes a `Request`, the app answers it, the `Response` becomes the reply.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import { ProcessStoppedError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import { type HttpResponseMessage, isRecord } from "./messages.ts";
import { type Config, internalError, serveRequest } from "./_presentation_request.ts";

/** Answers one `http` message: a `Request` is built from it and fed to the app. */
export async function serveMessage(
  h: ProcessContext,
  env: Envelope,
  config: Config,
): Promise<void> {
  let reply: HttpResponseMessage;
  let request: Request | undefined;
  let bug: { error: unknown } | undefined;
  try {
    request = toRequest(env.body);
  } catch (error) {
    reply = {
      kind: "http-response",
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        error: {
          code: "invalid",
          message: (error as Error).message,
          fields: [{ field: "request", problem: (error as Error).message }],
        },
      }),
    };
  }
  if (request !== undefined) {
    try {
      const response = await serveRequest(h, request, config);
      reply = {
        kind: "http-response",
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      };
    } catch (error) {
      if (error instanceof ProcessStoppedError) throw error;
      // serveRequest answers every expected condition itself: what escapes it is a bug.
      bug = { error };
      reply = {
        kind: "http-response",
        status: 500,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(internalError(error)),
      };
    }
  }
  await h.reply(env, reply!);
  if (bug !== undefined) throw bug.error;
}

/**
 * Builds a `Request` from an `http` message.
 * @throws {TypeError} quoting what is malformed.
 */
function toRequest(body: unknown): Request {
  if (!isRecord(body) || body.kind !== "http") {
    throw new TypeError(
      'Cannot serve the message: expected {kind: "http", method, path, headers?, body?}',
    );
  }
  const { method, path, headers, body: text } = body;
  if (typeof method !== "string" || !/^[A-Z]{1,16}$/.test(method)) {
    throw new TypeError(
      `Cannot serve the message: method ${
        JSON.stringify(method)
      } must be an HTTP method like "GET"`,
    );
  }
  if (typeof path !== "string" || !path.startsWith("/") || path.length > 4096) {
    throw new TypeError(
      `Cannot serve the message: path ${JSON.stringify(path)} must start with "/"`,
    );
  }
  if (headers !== undefined && !isRecord(headers)) {
    throw new TypeError("Cannot serve the message: headers must be an object of strings");
  }
  if (text !== undefined && typeof text !== "string") {
    throw new TypeError("Cannot serve the message: body must be a string");
  }
  const hasBody = method !== "GET" && method !== "HEAD" && text !== undefined;
  return new Request(`http://presentation${path}`, {
    method,
    headers: headers as Record<string, string> | undefined,
    body: hasBody ? text : undefined,
  });
}
