// The gateway's wire protocol, byte for byte as instance/wire/wire.go defines it.
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from './bytes.js';

export const Header = {
  App: 'X-Self-App',
  Key: 'X-Self-Key',
  Nonce: 'X-Self-Nonce',
  Seq: 'X-Self-Seq',
  Timestamp: 'X-Self-Timestamp',
  Signature: 'X-Self-Signature',
  Session: 'Authorization',
  Version: 'X-Self-Version',
  /** On answers from another app's namespace: that app's id. */
  Namespace: 'X-Self-Namespace',
} as const;

/** The storage query parameter naming another app's namespace to read (signed with the query). */
export const QueryApp = 'app';

export const SessionScheme = 'Self ';

export const Path = {
  Nonce: '/v1/auth/nonce',
  Session: '/v1/auth/session',
  Chat: '/v1/ai/chat',
  Storage: '/v1/storage/',
  Info: '/v1/info',
} as const;

/** Separates the gateway's sign bytes from every other use of an app key. */
export const SignDomain = 'selfinstance/v1';

/**
 * What an app signs for one request: the domain, the instance owner, the nonce
 * (session creation) or "<session>/<seq>", the method, the path with its raw
 * query exactly as sent, the hex SHA-256 of the body and the unix timestamp,
 * joined by newlines.
 */
export function signBytes(owner: string, nonce: string, method: string, pathAndQuery: string, body: Uint8Array, timestamp: number): Uint8Array {
  return utf8([SignDomain, owner, nonce, method, pathAndQuery, toHex(sha256(body)), String(timestamp)].join('\n'));
}

export const sessionNonce = (session: string, seq: number): string => `${session}/${seq}`;

export interface NonceResponse { nonce: string; expires_at: number }
export interface SessionResponse { session: string; expires_at: number; scopes: string[]; height: number }
export interface PutResponse { key: string; version: number }
export interface ListItem { key: string; version: number; size: number; updated_at: number }
export interface ListResponse { items: ListItem[] | null; next_cursor?: string }
export interface InfoResponse { owner: string; chain_id: string; height: number }
export interface ChatMessage { role: 'system' | 'user' | 'assistant' | string; content: string }
export interface ErrorBody { error: { code: string; message: string; request_id?: number; decision?: string } }
