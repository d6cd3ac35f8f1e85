/** Short text of an error for status messages and Events (never includes statement values). */
export function describeError(error: unknown): string {
  if (error && typeof error === "object") {
    const code = (error as { code?: unknown }).code;
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string" && message) return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
    if (typeof code === "string") return code;
  }
  return String(error);
}
