import {
  type ClientCapabilities,
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCResponse,
  isLegacyRequest,
  type JSONRPCMessage,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { UUID_PATTERN } from "../domain/ids";
import { type AnswerContext, answerMcp, refusedBeforeTool } from "./answer";
import { toolCallIn } from "./catalog";
import { jsonRpcError } from "./jsonrpc";
import { buildMcpServer, canElicitForm } from "./server";
import { taskOfferFor } from "./tasks";
import { catalog } from "./tools";

/**
 * Sessions for 2025-era clients that can be asked (issue 20). Everything pandgate serves is
 * stateless (./answer.ts), except what needs the client to answer in the middle of a call: on
 * 2025-11-25 a server asks with an `elicitation/create` request on the call's SSE stream, and the
 * client POSTs its answer as a separate request, which must find the call waiting for it. So a
 * 2025-era client whose `initialize` declares form elicitation gets an `Mcp-Session-Id`, kept by
 * its user's agent (one Durable Object per user: the answer reaches the same object as the call,
 * under the same user's token), and a tools/call of a tool that may ask (`ToolSpec.elicits`) in
 * that session is served by a server that knows the client's capabilities: the SDK's legacy shim
 * turns the tool's input-required result into `elicitation/create` and runs the tool again with
 * the answer. Every other request of the session is answered statelessly as before.
 *
 * What is kept: per session, in the agent's SQLite storage, the client id and the `initialize`
 * parameters (protocol version, capabilities, client info), so a session outlives the object's
 * eviction; in memory, only the call waiting for an answer (at most one per session). Each call
 * gets a fresh server built for that request's caller (scopes, request id), as every stateless
 * request does, connected to a transport of its own, to which the session's `initialize` is
 * replayed first. At most MAX_SESSIONS per user (the least recently used goes), and a session
 * unused for SESSION_IDLE_MS (7 days) ends; an unknown, ended or expired session id is answered 404, and
 * the client initializes again. DELETE with the session id ends it.
 */

/** Sessions kept per user; the least recently used goes when a new one would exceed it. */
export const MAX_SESSIONS = 16;
/**
 * A session not used for this long ends (then 404, and the client initializes again). Long, so
 * that a desktop client left open over a weekend keeps its session: what is kept is small.
 */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * A call waits for the client's answer at most the SDK's legacy shim timeout (10 minutes per
 * question, after which it answers with an error); one older than this is forgotten, whatever
 * became of it (a stream the client dropped, a call it cancelled).
 */
const WAIT_MS = 11 * 60 * 1000;
/** `used_at` is written at most this often per session (every request reads it). */
const TOUCH_MS = 60_000;

const SESSION_HEADER = "mcp-session-id";
/**
 * Every session id this lane gives starts so. An id without it is not one of these sessions (an
 * older server's, which a client may still send): it changes nothing, as before, and the request is
 * answered statelessly wherever it would be. Only an id of this lane that is unknown, ended or
 * expired is answered 404.
 */
const SESSION_ID_PREFIX = "pandgate-s1-";

/**
 * Whether `id` (an `Mcp-Session-Id`) names a session of this lane, live or not: the prefix and a
 * UUID, nothing else (any other value is not ours, and is ignored like an older server's id).
 */
export function isLaneSessionId(id: string | null): id is string {
  return id?.startsWith(SESSION_ID_PREFIX) === true && UUID_PATTERN.test(id.slice(SESSION_ID_PREFIX.length));
}
/** The JSON-RPC code the SDK's transport answers an unknown session with. */
const SESSION_NOT_FOUND = -32001;

type SqlValue = string | number | null;
type Sql = <T = Record<string, SqlStorageValue>>(strings: TemplateStringsArray, ...values: SqlValue[]) => T[];

interface SessionRow {
  id: string;
  client_id: string;
  init: string;
  used_at: number;
}

/** A call of a session that is waiting for the client's answer. */
interface WaitingCall {
  transport: WebStandardStreamableHTTPServerTransport;
  /** The JSON-RPC id of the tools/call. */
  callId: string | number | undefined;
  /** When the call started (a call older than WAIT_MS is forgotten). */
  since: number;
  /** Forgets the call and closes its server. */
  done(): void;
}

/** One user's 2025-era sessions, in that user's agent. */
export class LegacySessions {
  readonly #sql: Sql;
  readonly #now: () => number;
  /** The call of each session that is waiting for the client, by session id (in memory only). */
  readonly #waiting = new Map<string, WaitingCall>();
  #tableReady = false;

  constructor(sql: Sql, now: () => number = Date.now) {
    this.#sql = sql;
    this.#now = now;
  }

  #table(): void {
    if (this.#tableReady) return;
    this
      .#sql`CREATE TABLE IF NOT EXISTS mcp_sessions (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, init TEXT NOT NULL, created_at INTEGER NOT NULL, used_at INTEGER NOT NULL)`;
    this.#tableReady = true;
  }

  /** Starts a session for `clientId` with its `initialize` parameters; its id. */
  create(clientId: string, init: Record<string, unknown>): string {
    this.#table();
    const now = this.#now();
    this.#sql`DELETE FROM mcp_sessions WHERE used_at < ${now - SESSION_IDLE_MS}`;
    const id = `${SESSION_ID_PREFIX}${crypto.randomUUID()}`;
    this
      .#sql`INSERT INTO mcp_sessions (id, client_id, init, created_at, used_at) VALUES (${id}, ${clientId}, ${JSON.stringify(init)}, ${now}, ${now})`;
    for (const old of this.#sql<{
      id: string;
    }>`SELECT id FROM mcp_sessions ORDER BY used_at DESC, rowid DESC LIMIT -1 OFFSET ${MAX_SESSIONS}`) {
      this.end(old.id);
    }
    return id;
  }

  /** The live session `id` of `clientId` (another client's session is not found), marked as used. */
  find(id: string, clientId: string): { id: string; init: Record<string, unknown> } | undefined {
    this.#table();
    const [row] = this.#sql<SessionRow>`SELECT id, client_id, init, used_at FROM mcp_sessions WHERE id = ${id}`;
    if (!row || row.client_id !== clientId) return undefined;
    const now = this.#now();
    if (row.used_at < now - SESSION_IDLE_MS) {
      this.end(id);
      return undefined;
    }
    if (row.used_at < now - TOUCH_MS) this.#sql`UPDATE mcp_sessions SET used_at = ${now} WHERE id = ${id}`;
    return { id, init: JSON.parse(row.init) as Record<string, unknown> };
  }

  /** Ends session `id`; whether there was one. A call waiting for an answer ends too. */
  end(id: string): boolean {
    this.#table();
    this.#waiting.get(id)?.done();
    const found = this.#sql<{ id: string }>`SELECT id FROM mcp_sessions WHERE id = ${id}`.length > 0;
    this.#sql`DELETE FROM mcp_sessions WHERE id = ${id}`;
    return found;
  }

  /**
   * The session lane: answers what needs a session (an `initialize` that declares form
   * elicitation, a session's tools/call of a tool that may ask, a client's answer, DELETE, and
   * any request naming an unknown session: 404); `undefined` for everything else, which is
   * answered statelessly as before (the stateless lane ignores the session id).
   */
  async serve(request: Request, message: unknown, context: AnswerContext): Promise<Response | undefined> {
    const clientId = context.caller.clientId;
    const header = request.headers.get(SESSION_HEADER);
    const id = isLaneSessionId(header) ? header : null;
    if (request.method === "DELETE") {
      return id !== null && this.find(id, clientId) && this.end(id) ? new Response(null, { status: 200 }) : notFound();
    }
    if (id === null) return header === null ? this.#initialize(request, message, context) : undefined;
    const session = this.find(id, clientId);
    if (!session) return notFound(idOf(message));
    let waiting = this.#waiting.get(session.id);
    if (waiting && waiting.since < this.#now() - WAIT_MS) {
      waiting.done();
      waiting = undefined;
    }
    const rpc = message as JSONRPCMessage;
    if (isJSONRPCResponse(rpc) || isJSONRPCErrorResponse(rpc)) {
      // The client's answer to what a waiting call asked; with nothing waiting, there is nothing to do.
      if (waiting) return waiting.transport.handleRequest(request, { parsedBody: message });
      return new Response(null, { status: 202 });
    }
    if (waiting && isJSONRPCNotification(rpc) && rpc.method === "notifications/cancelled") {
      // The client gave up the waiting call: its server stops it, and the session may ask again.
      const answer = await waiting.transport.handleRequest(request, { parsedBody: message });
      if ((rpc.params as { requestId?: unknown } | undefined)?.requestId === waiting.callId) waiting.done();
      return answer;
    }
    const call = toolCallIn(message, catalog);
    // One call per session may wait for an answer (the ids of what the server asks are per call):
    // a second one in the meantime is answered without asking.
    if (call?.tool?.elicits && !waiting) return this.#call(session, request, message, context);
    return undefined;
  }

  /** An `initialize` of a 2025-era client that declares form elicitation: answered as always, with a new session id. */
  async #initialize(request: Request, message: unknown, context: AnswerContext): Promise<Response | undefined> {
    if (!isInitializeRequest(message as JSONRPCMessage) || !(await isLegacyRequest(request, message))) return undefined;
    const params = (message as { params: { capabilities?: ClientCapabilities } & Record<string, unknown> }).params;
    if (!canElicitForm(params.capabilities)) return undefined;
    const answer = await answerMcp(request, message, context);
    if (answer.status !== 200) return answer;
    const { protocolVersion, capabilities, clientInfo } = params;
    const id = this.create(context.caller.clientId, { protocolVersion, capabilities, clientInfo });
    const headers = new Headers();
    for (const [name, value] of answer.headers) headers.append(name, value);
    headers.set(SESSION_HEADER, id);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers });
  }

  /**
   * A session's tools/call of a tool that may ask: a server for this request's caller on a
   * transport of its own, told the session's `initialize` first, so the SDK's legacy shim knows
   * the client can be asked and sends the question on this call's stream. The call waits (in
   * memory) until its result has been sent.
   */
  async #call(
    session: { id: string; init: Record<string, unknown> },
    request: Request,
    message: unknown,
    context: AnswerContext,
  ): Promise<Response> {
    const { caller, services, jobs, record, files } = context;
    const refused = refusedBeforeTool(message, catalog, caller);
    if (refused) await record(refused);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: () => session.id });
    const server = buildMcpServer({
      catalog,
      caller,
      services,
      jobs,
      record,
      era: "legacy",
      files,
      tasks: taskOfferFor("legacy", request, message),
    });
    await server.connect(transport);
    const headers = { accept: "application/json, text/event-stream", "content-type": "application/json" };
    const replay = (body: unknown) => transport.handleRequest(new Request(request.url, { method: "POST", headers }), { parsedBody: body });
    const init = await replay({ jsonrpc: "2.0", id: `${session.id}:initialize`, method: "initialize", params: session.init });
    await init.text();
    await replay({ jsonrpc: "2.0", method: "notifications/initialized" });

    const callId = idOf(message);
    const waiting: WaitingCall = {
      transport,
      callId,
      since: this.#now(),
      done: () => {
        if (this.#waiting.get(session.id) === waiting) this.#waiting.delete(session.id);
        void server.close().catch(() => undefined);
      },
    };
    const done = waiting.done;
    const send = transport.send.bind(transport);
    transport.send = async (out, options) => {
      try {
        await send(out, options);
      } finally {
        // The call's answer (or error) is out, or could not be sent: nothing waits any more.
        if ((isJSONRPCResponse(out) || isJSONRPCErrorResponse(out)) && out.id === callId) done();
      }
    };
    this.#waiting.set(session.id, waiting);
    try {
      return await transport.handleRequest(request, { parsedBody: message });
    } catch (error) {
      done();
      throw error;
    }
  }
}

function idOf(message: unknown): string | number | undefined {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

function notFound(id?: string | number): Response {
  return jsonRpcError(404, SESSION_NOT_FOUND, "Session not found: it ended or expired; initialize again", id);
}
