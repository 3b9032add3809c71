// Typed errors: a stable code, a message a developer can act on, and the cause.

/** Codes the instance sends (instance/wire) and codes the SDK raises itself. */
export const ErrorCode = {
  // From the instance.
  BadRequest: 'bad_request',
  BadSignature: 'bad_signature',
  UnknownKey: 'unknown_key',
  NoSuchApp: 'no_such_app',
  BadNonce: 'bad_nonce',
  Replay: 'replay',
  ClockSkew: 'clock_skew',
  BadSession: 'bad_session',
  Pending: 'authorization_pending',
  Denied: 'authorization_denied',
  Approved: 'authorization_approved',
  Forbidden: 'forbidden',
  ChainUnverified: 'chain_unverified',
  BadKey: 'bad_key',
  NotFound: 'not_found',
  TooLarge: 'too_large',
  QuotaExceeded: 'quota_exceeded',
  RateLimited: 'rate_limited',
  LLMUnavailable: 'llm_unavailable',
  LLMMalformed: 'llm_malformed',
  Internal: 'internal',
  SharedReadOnly: 'shared_read_only',
  // Raised by the SDK (the same names as the Go SDK's).
  Transport: 'transport',
  TLSKey: 'tls_key',
  Discovery: 'discovery',
  Decode: 'decode',
  Sign: 'sign',
  InvalidArgument: 'invalid_argument',
  Timeout: 'timeout',
  Namespace: 'namespace',
  // Raised by the light client (light.ts); SELFError.reason says which check failed.
  LightClient: 'light_client',
  LightExpired: 'light_expired',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What to do about each code: appended to the message. */
const hints: Record<string, string> = {
  bad_request: 'the SDK sent something the instance does not accept; check the arguments',
  bad_signature: 'the app key passed to SELFClient must be the one registered for the app (x/permissions)',
  unknown_key: 'register this key for the app: `selfchaind tx permissions register-app ... --pubkey <type>:<hex>` (or update-app)',
  no_such_app: 'register the app in x/permissions first (`selfchaind tx permissions register-app`)',
  bad_nonce: 'call authenticate() again',
  replay: 'a request was sent twice; send a new one',
  clock_skew: 'the machine clock is more than 120 s off the instance: sync it (NTP)',
  bad_session: 'the session expired, was revoked, or the instance crashed: call authenticate() again',
  authorization_pending: 'ask the user to approve it (`selfinstance approve <id>`), then authenticate again, or pass `wait` to authenticate()',
  authorization_denied: 'the user refused; ask again only if they expect it',
  authorization_approved: "the user approved; the grant's block is about to be proven: authenticate again in ~1 s (or pass `wait`)",
  forbidden: 'the user has not granted this scope (or revoked it, or the kill switch is on): see `decision`',
  chain_unverified: 'the instance cannot prove the chain state right now; retry shortly',
  bad_key: 'storage keys are lowercase paths: a-z 0-9 . _ - separated by single /',
  not_found: 'no value under this key (or version)',
  too_large: 'the value is over the instance size limit; split it',
  quota_exceeded: "the user's storage tier is full; delete data or ask the user to upgrade",
  rate_limited: 'too many requests; back off and retry',
  llm_unavailable: "the user's model is down or slow; retry later",
  llm_malformed: "the user's model answered something that is not chat completions",
  shared_read_only: "another app's namespace is read-only: write in your own namespace (auth.storage) and let the other app read it",
  namespace: 'the instance ignored the app parameter (a selfinstance older than cross-app sharing): ask the user to update it; the answer was not used',
  transport: 'the instance could not be reached: check its URL and that it is running',
  tls_key: "the server's TLS key is not the instance's registered key: do not talk to it (wrong URL, or an attack)",
  discovery: 'find the instance with discover({ nodeUrl, owner }) (or `selfchaind query registry resolve <owner> --verify`) and pass instanceUrl and tlsKey',
  decode: 'the answer is not what the protocol says; check the SDK and instance versions',
  sign: 'the app key could not sign',
  invalid_argument: 'fix the argument',
  timeout: 'the instance did not answer in time; raise timeoutMs or retry',
  light_client:
    'the node served a header, commit or validator set that does not verify from your trust root (see reason): do not use its answers; query another node, and check that trust height/hash and chainId are this chain\'s',
  light_expired:
    'the trust root is older than trustingPeriodMs: take a newer trust height and header hash from a source you trust (a block explorer, or block_id.hash of /commit?height=H on your own node) and create the light client again',
};

export interface SELFErrorOptions {
  status?: number;
  requestId?: number;
  decision?: string;
  reason?: string;
  cause?: unknown;
}

/**
 * Every error of the SDK. `code` is stable (see ErrorCode), `shortMessage` says
 * what happened, `message` adds what to do, `cause` is the lower-level error.
 */
export class SELFError extends Error {
  override readonly name = 'SELFError';
  readonly code: string;
  readonly shortMessage: string;
  /** HTTP status; 0 when no answer came. */
  readonly status: number;
  /** With authorization_pending/denied: the request id the user approves. */
  readonly requestId?: number;
  /** With forbidden: x/permissions' decision, e.g. DECISION_NO_GRANT. */
  readonly decision?: string;
  /** With light_client / light_expired: the check that failed, e.g. signature, voting_power, header_hash. */
  readonly reason?: string;

  constructor(code: string, shortMessage: string, opts: SELFErrorOptions = {}) {
    const parts = [shortMessage];
    if (opts.requestId) parts.push(`(request ${opts.requestId})`);
    if (opts.decision) parts.push(`[${opts.decision}]`);
    if (opts.reason) parts.push(`(${opts.reason})`);
    const hint = hints[code];
    let message = `${code}: ${parts.join(' ')}`;
    if (hint) message += `\n  What to do: ${hint}`;
    if (opts.cause instanceof Error) message += `\n  Cause: ${opts.cause.message}`;
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.code = code;
    this.shortMessage = shortMessage;
    this.status = opts.status ?? 0;
    if (opts.requestId) this.requestId = opts.requestId;
    if (opts.decision) this.decision = opts.decision;
    if (opts.reason) this.reason = opts.reason;
  }
}

/** True when err is a SELFError (with the given code, when one is passed). */
export function isSELFError(err: unknown, code?: string): err is SELFError {
  return err instanceof SELFError && (code === undefined || err.code === code);
}

/** Turns a non-2xx answer's body into a SELFError. */
export function errorFromBody(status: number, text: string): SELFError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const e = (body as { error?: { code?: unknown; message?: unknown; request_id?: unknown; decision?: unknown } } | undefined)?.error;
  if (!e || typeof e.code !== 'string' || e.code === '') {
    return new SELFError(ErrorCode.Decode, `HTTP ${status} with no error body`, { status, cause: text.slice(0, 200) || undefined });
  }
  return new SELFError(e.code, typeof e.message === 'string' ? e.message : '', {
    status,
    requestId: typeof e.request_id === 'number' ? e.request_id : undefined,
    decision: typeof e.decision === 'string' ? e.decision : undefined,
  });
}

/** Wraps a fetch failure (network, TLS pin, abort) into a SELFError. */
export function transportError(err: unknown): SELFError {
  if (err instanceof SELFError) return err;
  // fetch wraps the connection's error in a TypeError; look for ours inside.
  let c: unknown = err;
  for (let i = 0; i < 5 && c; i++) {
    if (c instanceof SELFError) return c;
    c = (c as { cause?: unknown }).cause;
  }
  const name = (err as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError') return new SELFError(ErrorCode.Timeout, 'the instance did not answer in time', { cause: err });
  if (name === 'AbortError') return new SELFError(ErrorCode.Transport, 'the request was aborted', { cause: err });
  return new SELFError(ErrorCode.Transport, 'the instance could not be reached', { cause: err });
}
