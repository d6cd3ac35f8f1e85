/**
 * A pattern for five-field cron schedules (and the @daily-style macros) that the API
 * server checks before a bad schedule is stored. It checks each field's range, so
 * "61 * * * *" is refused at apply time; the scheduler parses the accepted text with
 * cron-parser. Written to run under both JavaScript and Go (RE2) regular expressions.
 */
function field(value: string, extra: string[] = []): string {
  const range = `(?:${value})(?:-(?:${value}))?`;
  const item = `(?:\\*|${range})(?:/[0-9]{1,2})?`;
  const alternatives = [`${item}(?:,${item})*`, ...extra];
  return `(?:${alternatives.join("|")})`;
}

function names(list: string[]): string {
  return list.flatMap((name) => [name.toLowerCase(), name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1).toLowerCase()]).join("|");
}

const minute = field("[0-5]?[0-9]");
const hour = field("[01]?[0-9]|2[0-3]");
const dayOfMonth = field("0?[1-9]|[12][0-9]|3[01]", ["\\?"]);
const month = field(`0?[1-9]|1[0-2]|${names(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}`);
const dayOfWeek = field(`[0-7]|${names(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}`, ["\\?"]);
const macros = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

export const CRON_PATTERN = `^(?:${macros.join("|")}|${[minute, hour, dayOfMonth, month, dayOfWeek].join(" +")})$`;

export const CRON_REGEX = new RegExp(CRON_PATTERN);

export const CRON_MESSAGE = 'schedule must be a five-field cron expression such as "0 3 * * *" (minute hour day-of-month month day-of-week) or a macro such as @daily';
