import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { CSRF_HEADER, SessionStore, cookieValue, csrfMatches, sameOrigin, sessionCookie } from "./session.js";

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

describe("console sessions", () => {
  it("sets the cookie HttpOnly, Secure and SameSite=Strict, and clears it with Max-Age=0", () => {
    const store = new SessionStore<string>();
    const session = store.create("alice");
    expect(sessionCookie(session)).toBe(`steward_session=${session.id}; Path=/; HttpOnly; Secure; SameSite=Strict`);
    expect(sessionCookie(undefined)).toMatch(/^steward_session=; .*HttpOnly; Secure; SameSite=Strict; Max-Age=0$/);
  });

  it("finds a session by its cookie, forgets it after 8 idle hours, and rotates the id at sign-in", () => {
    let now = 0;
    const store = new SessionStore<string>(() => now);
    const session = store.create();
    expect(store.find(request({ cookie: `other=1; steward_session=${session.id}` }))).toBe(session);
    const signedIn = store.rotate(session, "bob");
    expect(signedIn.id).not.toBe(session.id);
    expect(store.find(request({ cookie: `steward_session=${session.id}` }))).toBeUndefined();
    now = 8 * 3600_000 + 1;
    expect(store.find(request({ cookie: `steward_session=${signedIn.id}` }))).toBeUndefined();
  });

  it("accepts a mutation only with the session's own CSRF token", () => {
    const session = new SessionStore<string>().create();
    expect(csrfMatches(session, request({ [CSRF_HEADER]: session.csrf }))).toBe(true);
    expect(csrfMatches(session, request({ [CSRF_HEADER]: `${session.csrf.slice(0, -1)}x` }))).toBe(false);
    expect(csrfMatches(session, request({}))).toBe(false);
  });

  it("refuses another origin", () => {
    expect(sameOrigin(request({ host: "127.0.0.1:8443", origin: "http://127.0.0.1:8443" }))).toBe(true);
    expect(sameOrigin(request({ host: "127.0.0.1:8443", origin: "https://evil.example" }))).toBe(false);
    expect(cookieValue("a=1; b=x=y", "b")).toBe("x=y");
  });
});
