import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Browser sessions of the console. A session holds the user's Kubernetes credentials (a bearer
 * token in the cluster; nothing in local mode, where the kubeconfig is the identity) only in
 * this process's memory; the browser holds an opaque id in an HttpOnly, Secure, SameSite=Strict
 * cookie, and every mutating call must also carry the session's CSRF token in a header, which
 * a page from another origin can neither read nor set.
 */
export const SESSION_COOKIE = "steward_session";
export const CSRF_HEADER = "x-steward-csrf";
const IDLE_MS = 8 * 3600_000;

export interface Session<Identity> {
  id: string;
  csrf: string;
  identity?: Identity;
  lastSeen: number;
}

export class SessionStore<Identity> {
  private readonly sessions = new Map<string, Session<Identity>>();
  private created = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The session the request's cookie names, if it exists and is not idle too long. */
  find(request: IncomingMessage): Session<Identity> | undefined {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (this.now() - session.lastSeen > IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.now();
    return session;
  }

  create(identity?: Identity): Session<Identity> {
    // Sessions are only dropped when looked up; sweep now and then so abandoned ones go too.
    if (++this.created % 1000 === 0) for (const [id, old] of this.sessions) if (this.now() - old.lastSeen > IDLE_MS) this.sessions.delete(id);
    const session = { id: randomBytes(32).toString("base64url"), csrf: randomBytes(32).toString("base64url"), identity, lastSeen: this.now() };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Signing in gets a new id, so an id planted before sign-in (session fixation) is worthless after. */
  rotate(session: Session<Identity>, identity: Identity | undefined): Session<Identity> {
    this.sessions.delete(session.id);
    return this.create(identity);
  }

  remove(session: Session<Identity>): void {
    this.sessions.delete(session.id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

export function sessionCookie(session: Session<unknown> | undefined): string {
  const attributes = "Path=/; HttpOnly; Secure; SameSite=Strict";
  return session ? `${SESSION_COOKIE}=${session.id}; ${attributes}` : `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`;
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** True when the request carries the session's CSRF token (compared in constant time). */
export function csrfMatches(session: Session<unknown>, request: IncomingMessage): boolean {
  const sent = request.headers[CSRF_HEADER];
  if (typeof sent !== "string") return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a request may come from this browser page: a mutating request's Origin (sent by
 * every current browser on POST/PATCH) must be the console's own. Host names are checked
 * separately (allowedHost) against DNS rebinding.
 */
export function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
