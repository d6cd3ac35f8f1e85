import { UsageError } from "./output.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The wall-clock time a zone shows at an instant, as milliseconds of a UTC date with the same fields. */
function wallClock(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(instant));
  const field = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  return Date.UTC(field("year"), field("month") - 1, field("day"), field("hour"), field("minute"), field("second"));
}

function zoneOf(tz: string): string {
  const zone = tz === "local" ? Intl.DateTimeFormat().resolvedOptions().timeZone : tz;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new UsageError(`--tz ${tz} is not a time zone: give an IANA name such as Europe/Berlin, UTC, or local (this machine's)`);
  }
  return zone;
}

function offsetText(instant: number, timeZone: string): string {
  const minutes = Math.round((wallClock(instant, timeZone) - instant) / 60_000);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/**
 * The instant a restore is asked for: RFC 3339 with an offset, or a wall-clock time read in
 * `--tz`. A wall-clock time that a daylight-saving change skips or repeats is refused with the
 * choices, since restoring the wrong hour is exactly the mistake a restore must not make.
 */
export function parseRestoreTime(text: string, tz?: string): Date {
  if (RFC3339.test(text)) {
    if (tz) throw new UsageError(`--time ${text} has its own UTC offset: drop --tz, or give the time without an offset`);
    const parsed = new Date(text.replace(" ", "T"));
    if (Number.isNaN(parsed.getTime())) throw new UsageError(`--time ${text} is not a valid date`);
    return parsed;
  }
  const local = LOCAL.exec(text);
  if (!local) throw new UsageError(`--time ${text} is neither RFC 3339 (2026-11-25T10:00:00Z, 2026-11-25T11:00:00+01:00) nor a local time (2026-11-25 11:00:00 with --tz)`);
  if (!tz) throw new UsageError(`--time ${text} has no UTC offset: add --tz (an IANA zone such as Europe/Berlin, UTC, or local) or write it as RFC 3339`);
  const zone = zoneOf(tz);
  const [year, month, day, hour, minute, second] = local.slice(1).map((field) => Number(field ?? 0)) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(wall).getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new UsageError(`--time ${text} is not a valid date`);
  // The zone's offset is one of those in force a day either side; keep each that maps back to the same wall clock.
  const offsets = new Set([wall - 86_400_000, wall, wall + 86_400_000].map((probe) => wallClock(probe, zone) - probe));
  const instants = [...new Set([...offsets].map((offset) => wall - offset).filter((instant) => wallClock(instant, zone) === wall))].sort((a, b) => a - b);
  if (instants.length === 0) throw new UsageError(`--time ${text} does not exist in ${zone} (the clocks skip it for daylight saving): choose another time`);
  if (instants.length > 1) {
    const choices = instants.map((instant) => `${text.replace(" ", "T")}${offsetText(instant, zone)}`).join(" or ");
    throw new UsageError(`--time ${text} happens twice in ${zone} (the clocks go back): give ${choices}`);
  }
  return new Date(instants[0]!);
}
