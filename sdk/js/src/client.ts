// SELFClient: finds the instance, opens a session with the app key, and signs
// every request of it. The transport is any fetch-compatible function: the Node
// entry point passes one that pins the instance's TLS key (see node.ts).
import { fromUtf8, toBase64, utf8 } from './bytes.js';
import { ErrorCode, SELFError, errorFromBody, transportError } from './errors.js';
import { keyHeader, signerFromSeed, type Signer } from './keys.js';
import { chatPieces } from './sse.js';
import {
  Header, Path, QueryApp, SessionScheme, sessionNonce, signBytes,
  type ChatMessage, type InfoResponse, type ListItem, type ListResponse, type NonceResponse, type PutResponse, type SessionResponse,
} from './wire.js';

/** A fetch-compatible function (globalThis.fetch, or the Node SDK's pinned one). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array; signal?: AbortSignal }) => Promise<Response>;

export interface SELFClientConfig {
  /** The app id registered in x/permissions. */
  appId: string;
  /** The app key registered for appId: a Signer, or a seed with its key type. */
  appKey: Signer | { type: 'ed25519' | 'hybrid'; seed: Uint8Array | string };
  /** The instance's base URL, https://host:port (from x/registry: `selfchaind query registry resolve <owner>`). */
  instanceUrl?: string;
  /** The instance's registered Ed25519 TLS key (32 bytes, hex or base64): the Node SDK refuses any other server. */
  tlsKey?: Uint8Array | string;
  /** The instance owner's address; read from the pinned instance's /v1/info when omitted. */
  owner?: string;
  /** 'testnet' | 'mainnet' | 'local': reserved for a default node per network; find the instance with discover() (docs/SDK.md). */
  environment?: string;
  /** A SELF node's RPC (informational: pass it to discover()). */
  nodeUrl?: string;
  /** Transport; the Node entry point supplies a TLS-pinning one. */
  fetch?: FetchLike;
  /** Bound on each request that is not a stream (default 30 000 ms). */
  timeoutMs?: number;
}

export interface AuthenticateOptions {
  /** Defaults to the client's appId. */
  appId?: string;
  /** Scopes to ask for, e.g. ['ai:chat', 'storage:read', 'storage:write']. */
  permissions: string[];
  /**
   * Wait while the user has not approved yet: retries every pollMs (default 1000)
   * until timeoutMs (default 120 000), calling onPending once with the request id.
   */
  wait?: boolean | { timeoutMs?: number; pollMs?: number; onPending?: (requestId: number) => void };
}

export interface ChatOptions {
  /** One user message (the seeds' form) … */
  message?: string;
  /** … or a whole OpenAI-style conversation. */
  messages?: ChatMessage[];
  /** A named conversation stored in the instance (needs ai:context): it is prepended and extended. */
  context?: string;
  stream?: boolean;
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
}

export interface ChatResponse {
  /** The answer's text. */
  text: string;
  /** The model's raw chat-completions answer. */
  raw: unknown;
}

/** A streamed answer: iterate it for the text pieces; text() collects them all. */
export interface ChatStream extends AsyncIterable<string> {
  text(): Promise<string>;
}

export interface StoredValue {
  key: string;
  version: number;
  /** The stored bytes. */
  value: Uint8Array;
  /** The value as UTF-8 text. */
  text(): string;
  /** The value parsed as JSON (what save() stores for objects). */
  json<T = unknown>(): T;
}

export interface ListPage { items: ListItem[]; nextCursor?: string }

const jsonHeaders = { 'Content-Type': 'application/json' };

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Encodes a storage key for the path (the instance refuses anything but a clean path anyway). */
function keyPath(key: string): string {
  if (typeof key !== 'string' || key === '') throw new SELFError(ErrorCode.InvalidArgument, 'a storage key is a non-empty string');
  const segs = key.split('/');
  // fetch (the WHATWG URL parser) would resolve dot segments, so the instance
  // would see another path than the one signed: refuse them here, as it would.
  if (segs.some((s) => s === '.' || s === '..')) {
    throw new SELFError(ErrorCode.BadKey, `storage key ${JSON.stringify(key)} has a . or .. segment: keys are lowercase paths (a-z 0-9 . _ -) separated by single /`);
  }
  return Path.Storage + segs.map(encodeURIComponent).join('/');
}

async function readText(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (cause) {
    throw transportError(cause);
  }
}

async function readJSON<T>(res: Response): Promise<T> {
  const t = await readText(res);
  try {
    return JSON.parse(t) as T;
  } catch (cause) {
    throw new SELFError(ErrorCode.Decode, "the instance's answer does not decode", { status: res.status, cause });
  }
}

export class SELFClient {
  readonly appId: string;
  readonly signer: Signer;
  readonly instanceUrl: string;
  readonly timeoutMs: number;
  protected readonly fetchFn: FetchLike;
  private owner?: string;

  constructor(cfg: SELFClientConfig) {
    if (!cfg || typeof cfg.appId !== 'string' || cfg.appId === '') {
      throw new SELFError(ErrorCode.InvalidArgument, 'appId is required: the app id registered in x/permissions');
    }
    if (!cfg.appKey) throw new SELFError(ErrorCode.InvalidArgument, 'appKey is required: the key registered for the app (a Signer or { type, seed })');
    if (!cfg.instanceUrl) {
      throw new SELFError(ErrorCode.Discovery, `no instanceUrl${cfg.environment ? ` (environment ${cfg.environment} has no default node yet)` : ""}: find it with discover({ nodeUrl, owner }) and pass instanceUrl and tlsKey`);
    }
    let u: URL;
    try {
      u = new URL(cfg.instanceUrl);
    } catch (cause) {
      throw new SELFError(ErrorCode.InvalidArgument, `instanceUrl ${JSON.stringify(cfg.instanceUrl)} is not a URL`, { cause });
    }
    if (u.protocol !== 'https:') throw new SELFError(ErrorCode.InvalidArgument, 'instanceUrl must be https:// (the instance only speaks TLS)');
    this.appId = cfg.appId;
    this.signer = 'sign' in cfg.appKey ? cfg.appKey : signerFromSeed(cfg.appKey.type, cfg.appKey.seed);
    this.instanceUrl = u.origin;
    this.timeoutMs = cfg.timeoutMs ?? 30_000;
    this.owner = cfg.owner;
    const f = cfg.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!f) throw new SELFError(ErrorCode.InvalidArgument, 'no fetch: pass config.fetch');
    this.fetchFn = f;
  }

  /**
   * Sends one request; a non-2xx answer throws its SELFError. timeoutMs bounds
   * the whole exchange, or with stream set only the wait for the answer's
   * headers (a stream then lasts as long as signal lets it).
   */
  async send(method: string, pathAndQuery: string, headers: Record<string, string>, body?: Uint8Array, signal?: AbortSignal, stream = false): Promise<Response> {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(new DOMException(`no answer in ${this.timeoutMs} ms`, 'TimeoutError')), this.timeoutMs);
    let res: Response;
    try {
      res = await this.fetchFn(this.instanceUrl + pathAndQuery, { method, headers, body, signal: ctl.signal });
      if (res.status < 200 || res.status > 299) throw errorFromBody(res.status, await readText(res));
      if (!stream) {
        // Read the body under the timeout too.
        const buf = new Uint8Array(await res.arrayBuffer());
        return new Response(buf, { status: res.status, headers: res.headers });
      }
      return res;
    } catch (err) {
      throw transportError(ctl.signal.aborted && ctl.signal.reason !== undefined ? ctl.signal.reason : err);
    } finally {
      clearTimeout(timer);
      if (!stream) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** GET /v1/info: the instance's owner, chain and proven height (unauthenticated). */
  async info(): Promise<InfoResponse> {
    return readJSON<InfoResponse>(await this.send('GET', Path.Info, {}));
  }

  /** The instance owner's address (the sign bytes name it, so a request for alice's instance is worthless at bob's). */
  async ownerAddress(): Promise<string> {
    if (!this.owner) {
      const i = await this.info();
      if (typeof i.owner !== 'string' || i.owner === '') throw new SELFError(ErrorCode.Decode, '/v1/info has no owner');
      this.owner = i.owner;
    }
    return this.owner;
  }

  /**
   * Opens a session with the asked scopes. Without a grant yet, it throws
   * authorization_pending with the requestId the user approves; with `wait`, it
   * retries until the user approves (or denies: authorization_denied).
   */
  async authenticate(opts: AuthenticateOptions): Promise<Auth> {
    const app = opts.appId ?? this.appId;
    if (!Array.isArray(opts.permissions) || opts.permissions.length === 0) {
      throw new SELFError(ErrorCode.InvalidArgument, "permissions is a non-empty list of scopes, e.g. ['ai:chat', 'storage:read']");
    }
    if (!opts.wait) return this.openSession(app, opts.permissions);
    const w = typeof opts.wait === 'object' ? opts.wait : {};
    const deadline = Date.now() + (w.timeoutMs ?? 120_000);
    let told = false;
    for (;;) {
      try {
        return await this.openSession(app, opts.permissions);
      } catch (err) {
        if (!(err instanceof SELFError) || (err.code !== ErrorCode.Pending && err.code !== ErrorCode.Approved)) throw err;
        // Approved: the grant's block is a moment from being proven; keep polling.
        if (!told && err.code === ErrorCode.Pending && err.requestId !== undefined) w.onPending?.(err.requestId);
        if (err.code === ErrorCode.Pending) told = true;
        if (Date.now() >= deadline) {
          throw new SELFError(ErrorCode.Pending, "gave up waiting for the user's approval", { requestId: err.requestId, status: err.status, cause: err });
        }
        await new Promise((r) => setTimeout(r, w.pollMs ?? 1000));
      }
    }
  }

  private async openSession(app: string, scopes: string[]): Promise<Auth> {
    const owner = await this.ownerAddress();
    const n = await readJSON<NonceResponse>(await this.send('POST', Path.Nonce, { [Header.App]: app }));
    if (typeof n.nonce !== 'string') throw new SELFError(ErrorCode.Decode, 'the nonce answer has no nonce');
    const body = utf8(JSON.stringify({ scopes }));
    const ts = nowSeconds();
    const sig = await this.signWith(signBytes(owner, n.nonce, 'POST', Path.Session, body, ts));
    const res = await this.send('POST', Path.Session, {
      ...jsonHeaders,
      [Header.App]: app,
      [Header.Nonce]: n.nonce,
      [Header.Timestamp]: String(ts),
      [Header.Key]: keyHeader(this.signer),
      [Header.Signature]: toBase64(sig),
    }, body);
    const sr = await readJSON<SessionResponse>(res);
    if (typeof sr.session !== 'string' || sr.session === '') throw new SELFError(ErrorCode.Decode, 'the session answer has no session');
    return new Auth(this, app, owner, sr);
  }

  /** @internal */
  async signWith(msg: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.signer.sign(msg);
    } catch (cause) {
      throw new SELFError(ErrorCode.Sign, 'the app key could not sign', { cause });
    }
  }
}

/** An authenticated app: ai and storage within the scopes the user granted. */
export class Auth {
  readonly appId: string;
  readonly scopes: string[];
  /** When the session ends (authenticate again after). */
  readonly expiresAt: Date;
  /** The chain height whose proven state granted the session. */
  readonly height: number;
  readonly ai: AI;
  readonly storage: Storage;
  private seq = 0;

  constructor(private readonly client: SELFClient, appId: string, private readonly owner: string, private readonly sr: SessionResponse) {
    this.appId = appId;
    this.scopes = sr.scopes ?? [];
    this.expiresAt = new Date(sr.expires_at * 1000);
    this.height = sr.height;
    this.ai = new AI(this);
    this.storage = new Storage(this);
  }

  /** The session token: worthless without the app key, since every request is signed. */
  get sessionId(): string {
    return this.sr.session;
  }

  /** Sends a signed session request (for API calls the SDK has no method for). */
  async request(method: string, pathAndQuery: string, body?: Uint8Array, opts: { signal?: AbortSignal; headers?: Record<string, string>; stream?: boolean } = {}): Promise<Response> {
    const b = body ?? new Uint8Array(0);
    const seq = ++this.seq;
    const ts = nowSeconds();
    const sig = await this.client.signWith(signBytes(this.owner, sessionNonce(this.sr.session, seq), method, pathAndQuery, b, ts));
    return this.client.send(method, pathAndQuery, {
      ...opts.headers,
      [Header.Session]: SessionScheme + this.sr.session,
      [Header.Seq]: String(seq),
      [Header.Timestamp]: String(ts),
      [Header.Signature]: toBase64(sig),
    }, body, opts.signal, opts.stream);
  }
}

/** The user's private LLM (scope ai:chat; ai:context for a stored conversation). */
export class AI {
  constructor(private readonly auth: Auth) {}

  /** One answer; with stream: true, an async iterator of its pieces instead. */
  chat(opts: ChatOptions & { stream: true }): ChatStream;
  chat(opts: ChatOptions & { stream?: false }): Promise<ChatResponse>;
  chat(opts: ChatOptions): Promise<ChatResponse> | ChatStream {
    if (opts.stream) return this.chatStream(opts);
    return (async () => {
      const res = await this.auth.request('POST', Path.Chat, this.body(opts, false), { signal: opts.signal, headers: jsonHeaders });
      const raw = await readJSON<{ choices?: { message?: { content?: unknown } }[] }>(res);
      const text = raw?.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw new SELFError(ErrorCode.LLMMalformed, 'the answer has no choices[0].message.content', { status: res.status });
      return { text, raw };
    })();
  }

  /** Streams the answer: `for await (const piece of auth.ai.chatStream({ message }))`. */
  chatStream(opts: ChatOptions): ChatStream {
    const body = this.body(opts, true);
    const auth = this.auth;
    async function* pieces(): AsyncGenerator<string> {
      // No overall timeout on a stream; opts.signal cancels it.
      const res = await auth.request('POST', Path.Chat, body, { signal: opts.signal, headers: jsonHeaders, stream: true });
      if (!res.body) throw new SELFError(ErrorCode.Decode, 'the stream has no body', { status: res.status });
      const state = { done: false };
      try {
        yield* chatPieces(streamChunks(res.body, state), res.status, () => (state.done = true));
      } catch (err) {
        throw err instanceof SELFError ? err : transportError(err);
      }
    }
    return {
      [Symbol.asyncIterator]: () => pieces(),
      async text() {
        let s = '';
        for await (const p of pieces()) s += p;
        return s;
      },
    };
  }

  private body(opts: ChatOptions, stream: boolean): Uint8Array {
    const messages: ChatMessage[] = [...(opts.messages ?? [])];
    if (opts.message !== undefined) messages.push({ role: 'user', content: opts.message });
    if (messages.length === 0) throw new SELFError(ErrorCode.InvalidArgument, 'chat needs a message or messages');
    const req: Record<string, unknown> = { messages };
    if (stream) req.stream = true;
    if (opts.context) req.context = opts.context;
    if (opts.maxTokens) req.max_tokens = opts.maxTokens;
    if (opts.temperature !== undefined) req.temperature = opts.temperature;
    return utf8(JSON.stringify(req));
  }
}

/**
 * Reads a web ReadableStream as an async iterable (Node 20's is one already;
 * Safari's is not). After [DONE] (state.done) it drains the little that follows
 * (the chunked terminator, at most 4 KiB and 1 s) so the connection is reused
 * instead of paying a new TLS handshake; after an early stop it cancels, since
 * the model may still be talking.
 */
async function* streamChunks(s: ReadableStream<Uint8Array>, state: { done: boolean }): AsyncGenerator<Uint8Array> {
  const r = s.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await r.read();
      if (done) {
        ended = true;
        return;
      }
      if (value) yield value;
    }
  } finally {
    if (!ended && state.done) ended = await drain(r, 4 << 10, 1000);
    if (!ended) void r.cancel().catch(() => {});
    try {
      r.releaseLock();
    } catch {
      // a read still pending on a stream being cancelled
    }
  }
}

/** Reads r to its end if that comes within max bytes and ms; reports whether it did. */
async function drain(r: ReadableStreamDefaultReader<Uint8Array>, max: number, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), ms)));
  try {
    for (let n = 0; n <= max; ) {
      const x = await Promise.race([r.read(), late]);
      if (x === 'late') return false;
      if (x.done) return true;
      n += x.value?.length ?? 0;
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Every item of a paginated list, following nextCursor (Storage and SharedStorage). */
async function* listPages(
  list: (o: { prefix?: string; cursor?: string; limit?: number }) => Promise<ListPage>,
  opts: { prefix?: string; pageSize?: number },
): AsyncGenerator<ListItem> {
  let cursor: string | undefined;
  do {
    const page = await list({ prefix: opts.prefix, cursor, limit: opts.pageSize });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** The app's namespace in the user's sovereign storage (scopes storage:read|write|delete). */
export class Storage {
  constructor(private readonly auth: Auth) {}

  /**
   * Stores value under key (a lowercase path: a-z 0-9 . _ - and /) and returns
   * its new version. Bytes are stored as they are, a string as UTF-8, anything
   * else as JSON. The instance always seals values at rest with the user's key;
   * `encrypted: false` is refused rather than silently ignored.
   */
  async save(opts: { key: string; value: unknown; encrypted?: boolean }): Promise<{ key: string; version: number }> {
    if (opts.encrypted === false) {
      throw new SELFError(ErrorCode.InvalidArgument, 'the instance always encrypts values at rest: drop `encrypted: false`');
    }
    const v = opts.value;
    let body: Uint8Array;
    if (v instanceof Uint8Array) body = v;
    else if (typeof v === 'string') body = utf8(v);
    else if (v === undefined) throw new SELFError(ErrorCode.InvalidArgument, 'save needs a value');
    else body = utf8(JSON.stringify(v));
    const res = await this.auth.request('PUT', keyPath(opts.key), body);
    const out = await readJSON<PutResponse>(res);
    return { key: out.key, version: out.version };
  }

  /** The latest value under key, or the given version; not_found when there is none. */
  async get(keyOrOpts: string | { key: string; version?: number }): Promise<StoredValue> {
    const o = typeof keyOrOpts === 'string' ? { key: keyOrOpts } : keyOrOpts;
    let p = keyPath(o.key);
    if (o.version) p += `?version=${o.version}`;
    return storedValue(o.key, await this.auth.request('GET', p));
  }

  /** One page of keys under prefix; pass the page's nextCursor to continue. */
  async list(opts: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<ListPage> {
    // The query is built in Go's url.Values.Encode order (sorted keys); the
    // instance checks the signature over the query exactly as sent.
    const q: string[] = [];
    if (opts.cursor) q.push(`cursor=${encodeQuery(opts.cursor)}`);
    if (opts.limit) q.push(`limit=${opts.limit}`);
    if (opts.prefix) q.push(`prefix=${encodeQuery(opts.prefix)}`);
    const res = await this.auth.request('GET', Path.Storage + (q.length ? '?' + q.join('&') : ''));
    const out = await readJSON<ListResponse>(res);
    return { items: out.items ?? [], ...(out.next_cursor ? { nextCursor: out.next_cursor } : {}) };
  }

  /** Every key under prefix, page by page. */
  listAll(opts: { prefix?: string; pageSize?: number } = {}): AsyncGenerator<ListItem> {
    return listPages((o) => this.list(o), opts);
  }

  /** Another app's namespace, read-only (scope storage:read-shared:<appId>[/<prefix>]). */
  shared(appId: string): SharedStorage {
    return new SharedStorage(this.auth, appId);
  }

  /** Removes key (earlier versions stay readable by version). */
  async delete(keyOrOpts: string | { key: string }): Promise<void> {
    const key = typeof keyOrOpts === 'string' ? keyOrOpts : keyOrOpts.key;
    const res = await this.auth.request('DELETE', keyPath(key));
    await readText(res);
  }
}

/** The value of a storage GET answer. */
async function storedValue(key: string, res: Response): Promise<StoredValue> {
  let value: Uint8Array;
  try {
    value = new Uint8Array(await res.arrayBuffer());
  } catch (cause) {
    throw transportError(cause);
  }
  const version = Number(res.headers.get(Header.Version) ?? 0);
  return {
    key,
    version,
    value,
    text: () => fromUtf8(value),
    json: <T>() => {
      try {
        return JSON.parse(fromUtf8(value)) as T;
      } catch (cause) {
        throw new SELFError(ErrorCode.Decode, `the value under ${key} is not JSON`, { cause });
      }
    },
  };
}

/** An app id as x/permissions accepts it: 3-64 of a-z 0-9 -, a letter first, not ending in -. */
const appIdPattern = /^[a-z][a-z0-9-]{1,62}[a-z0-9]$/;

/**
 * Another app's namespace, read-only, with the user's consent: the session's
 * grant must include `storage:read-shared:<appId>[/<prefix>]` (and the app must
 * declare it in x/permissions). Writes there are refused (shared_read_only).
 */
export class SharedStorage {
  constructor(private readonly auth: Auth, readonly appId: string) {}

  private query(params: [string, string][]): string {
    if (typeof this.appId !== 'string' || !appIdPattern.test(this.appId)) {
      throw new SELFError(ErrorCode.InvalidArgument, `shared storage: ${JSON.stringify(this.appId)} is not an app id (3-64 of a-z 0-9 -, a letter first)`);
    }
    if (this.appId === this.auth.appId) {
      throw new SELFError(ErrorCode.InvalidArgument, `shared storage of ${this.appId}: that is this app's own namespace, use auth.storage`);
    }
    // Sorted by name like Go's url.Values.Encode (the signature covers the query as sent).
    const q = [...params, [QueryApp, this.appId] as [string, string]].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return '?' + q.map(([k, v]) => `${k}=${encodeQuery(v)}`).join('&');
  }

  /** Refuses an answer that does not say it came from this app's namespace. */
  private check(res: Response): void {
    const got = res.headers.get(Header.Namespace);
    if (got !== this.appId) {
      throw new SELFError(ErrorCode.Namespace, `the instance answered from namespace ${JSON.stringify(got ?? '')}, not app ${this.appId}'s`, { status: res.status });
    }
  }

  /** The latest value under key in the app's namespace, or the given version. */
  async get(keyOrOpts: string | { key: string; version?: number }): Promise<StoredValue> {
    const o = typeof keyOrOpts === 'string' ? { key: keyOrOpts } : keyOrOpts;
    const params: [string, string][] = o.version ? [['version', String(o.version)]] : [];
    const path = keyPath(o.key) + this.query(params);
    const res = await this.auth.request('GET', path);
    this.check(res);
    return storedValue(o.key, res);
  }

  /** One page of the app's keys under prefix (it may hold fewer than limit: follow nextCursor). */
  async list(opts: { prefix?: string; cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const params: [string, string][] = [];
    if (opts.cursor) params.push(['cursor', opts.cursor]);
    if (opts.limit) params.push(['limit', String(opts.limit)]);
    if (opts.prefix) params.push(['prefix', opts.prefix]);
    const res = await this.auth.request('GET', Path.Storage + this.query(params));
    this.check(res);
    const out = await readJSON<ListResponse>(res);
    return { items: out.items ?? [], ...(out.next_cursor ? { nextCursor: out.next_cursor } : {}) };
  }

  /** Every key of the app's under prefix, page by page. */
  listAll(opts: { prefix?: string; pageSize?: number } = {}): AsyncGenerator<ListItem> {
    return listPages((o) => this.list(o), opts);
  }
}

/** Go's url.QueryEscape. */
function encodeQuery(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');
}

