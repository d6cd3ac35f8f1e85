/**
 * Splits a logical dump (mariadb-dump / mysqldump output, as Steward takes it) into what one
 * client must run in order and what several connections may run at once: the rows.
 *
 * A table's data is a run of `INSERT INTO \`t\` VALUES ...;` statements between its CREATE
 * TABLE and whatever follows (ENABLE KEYS, triggers): the statements of one run touch one table
 * and no two depend on each other, so they can be spread over connections, as long as the run
 * starts after the CREATE TABLE ran and ends before the next statement of the structure.
 * Everything else (DDL, views, routines and triggers inside DELIMITER blocks, client commands
 * such as the sandbox line) goes to the client unchanged.
 *
 * What the format guarantees and this relies on: a newline byte in a dump only ends a line
 * (strings carry `\n` escaped), so an INSERT's lines end with `,` or, the last one, `;`: the
 * first `;\n` after `INSERT INTO` ends the statement. The session settings a dump makes (`SET
 * NAMES`, `TIME_ZONE`, `SQL_MODE`, checks off, `USE`) are passed on so that every connection
 * runs the rows under the settings the single client would have. `LOCK TABLES ... WRITE` /
 * `UNLOCK TABLES` around a table's rows are dropped: they would make the other connections wait
 * (they only speed MyISAM loads up; InnoDB ignores DISABLE KEYS, which stays).
 */
export type DumpPiece =
  /** Bytes for the client, in order (whole lines of structure). */
  | { to: "client"; bytes: Buffer }
  /** Part of an INSERT too large to hold: for the client too, beside the connections' rows of the same table. */
  | { to: "client-rows"; bytes: Buffer }
  /** A session setting (SET, USE): for every client, in order with the rows. */
  | { to: "session"; bytes: Buffer }
  /** One complete INSERT of a table's rows, with its terminating `;` and newline, as views of the chunks read (no copy). */
  | { to: "rows"; parts: Buffer[] };

const NEWLINE = 0x0a;
const SEMICOLON = 0x3b;
const END_OF_INSERT = Buffer.from(";\n");
const NEWLINE_BYTES = Buffer.from("\n");
const INSERT_START = /^INSERT INTO `/;
const LOCKING = /^(LOCK TABLES `.*` WRITE|UNLOCK TABLES);\s*$/;
const SESSION_SETTING = /^(\/\*!\d+ SET\b(?!.*\bGLOBAL\b).*\*\/\s*;|SET\b(?!.*\bGLOBAL\b)[^;]*;|USE `[^`]*(``[^`]*)*`;)$/i;
const DELIMITER = /^DELIMITER\s+(\S+)\s*$/i;
/** A client command with no terminator (mariadb-dump 10.11.8+ writes it first). */
const SANDBOX = /^\/\*M!999999\\- enable the sandbox mode \*\/\s*$/;

type Mode = "lines" | "rows" | "rows-to-client" | "line-to-client";

export class DumpSplitter {
  private mode: Mode = "lines";
  private delimiter = ";";
  /** At the start of a statement (the last line of the previous one ended with the delimiter). */
  private atStatementStart = true;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The last byte handed on in a pass-through mode (its `;` may meet the next chunk's newline). */
  private lastByte = -1;
  /** The end of a long structure line passed through, to tell whether it ended a statement. */
  private longLineTail = "";

  /** @param holdLimit the most bytes of one statement kept in memory; a larger INSERT goes to the client as it streams */
  constructor(private readonly holdLimit = 8 * 1024 * 1024) {}

  push(chunk: Buffer): DumpPiece[] {
    const out: DumpPiece[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.mode === "rows" || this.mode === "rows-to-client") at = this.continueInsert(chunk, at, out);
      else if (this.mode === "line-to-client") at = this.continueLongLine(chunk, at, out);
      else at = this.continueLine(chunk, at, out);
    }
    return out;
  }

  /** The dump's end: anything left must be a whole statement (a cut dump fails here, not later). */
  end(): DumpPiece[] {
    if (this.mode === "rows" || this.mode === "rows-to-client") throw new Error("the dump ends inside an INSERT statement: it is truncated");
    const out: DumpPiece[] = [];
    if (this.mode === "lines" && this.partBytes > 0) this.classify(this.take(), false, out);
    if (this.mode === "line-to-client") this.mode = "lines";
    return out;
  }

  private take(): Buffer {
    const whole = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    this.partBytes = 0;
    return whole;
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.partBytes += bytes.length;
  }

  /** Where `;\n` ends the INSERT: index of the `;` (-1 when it was the previous chunk's last byte), or undefined. */
  private findInsertEnd(chunk: Buffer, at: number, previousLast: number): number | undefined {
    if (previousLast === SEMICOLON && chunk[at] === NEWLINE) return at - 1;
    const found = chunk.indexOf(END_OF_INSERT, at);
    return found === -1 ? undefined : found;
  }

  private continueInsert(chunk: Buffer, at: number, out: DumpPiece[]): number {
    const previousLast = this.mode === "rows" ? (this.parts.at(-1)?.at(-1) ?? -1) : this.lastByte;
    const end = this.findInsertEnd(chunk, at, previousLast);
    if (this.mode === "rows-to-client") {
      const stop = end === undefined ? chunk.length : end + 2;
      out.push({ to: "client-rows", bytes: chunk.subarray(at, stop) });
      this.lastByte = chunk[stop - 1]!;
      if (end !== undefined) this.endStatement();
      return stop;
    }
    if (end === undefined) {
      this.hold(chunk.subarray(at));
      if (this.partBytes > this.holdLimit) {
        out.push({ to: "client-rows", bytes: this.take() });
        this.lastByte = chunk.at(-1)!;
        this.mode = "rows-to-client";
      }
      return chunk.length;
    }
    // end is the `;` (at - 1 when it closed the previous chunk): keep through the newline.
    this.hold(chunk.subarray(at, end + 2));
    out.push({ to: "rows", parts: this.parts });
    this.parts = [];
    this.partBytes = 0;
    this.endStatement();
    return end + 2;
  }

  private continueLongLine(chunk: Buffer, at: number, out: DumpPiece[]): number {
    const newline = chunk.indexOf(NEWLINE, at);
    const stop = newline === -1 ? chunk.length : newline + 1;
    const lineEnd = newline === -1 ? chunk.length : newline;
    out.push({ to: "client", bytes: chunk.subarray(at, stop) });
    this.longLineTail = (this.longLineTail + chunk.subarray(Math.max(at, lineEnd - 64), lineEnd).toString("latin1")).slice(-64);
    if (newline !== -1) {
      this.atStatementStart = this.longLineTail.trimEnd().endsWith(this.delimiter);
      this.longLineTail = "";
      this.mode = "lines";
    }
    return stop;
  }

  private continueLine(chunk: Buffer, at: number, out: DumpPiece[]): number {
    const newline = chunk.indexOf(NEWLINE, at);
    if (newline === -1) {
      this.hold(chunk.subarray(at));
      if (this.partBytes > this.holdLimit) {
        // A line this long is an INSERT's rows (or something the client must see anyway).
        const head = this.take();
        if (this.startsRows(head)) {
          this.mode = "rows-to-client";
          this.lastByte = head.at(-1)!;
          out.push({ to: "client-rows", bytes: head });
        } else {
          this.mode = "line-to-client";
          this.longLineTail = head.subarray(-64).toString("latin1");
          out.push({ to: "client", bytes: head });
        }
      }
      return chunk.length;
    }
    this.hold(chunk.subarray(at, newline));
    this.classify(this.take(), true, out);
    return newline + 1;
  }

  private startsRows(line: Buffer): boolean {
    return this.atStatementStart && this.delimiter === ";" && INSERT_START.test(line.subarray(0, 16).toString("latin1"));
  }

  private endStatement(): void {
    this.mode = "lines";
    this.atStatementStart = true;
    this.lastByte = -1;
  }

  /** One whole line (without its newline) in "lines" mode. */
  private classify(line: Buffer, newline: boolean, out: DumpPiece[]): void {
    if (this.startsRows(line)) {
      const parts = newline ? [line, NEWLINE_BYTES] : [line];
      if (line.at(-1) === SEMICOLON) {
        out.push({ to: "rows", parts });
        return;
      }
      this.mode = "rows";
      for (const part of parts) this.hold(part);
      return;
    }
    const withNewline = newline ? Buffer.concat([line, NEWLINE_BYTES]) : line;
    // Structure lines are short: reading them as text costs nothing.
    const text = line.toString("latin1");
    const trimmed = text.trim();
    if (trimmed === "" || trimmed.startsWith("--") || SANDBOX.test(text)) {
      out.push({ to: "client", bytes: withNewline });
      return;
    }
    const delimiter = DELIMITER.exec(trimmed);
    if (delimiter && this.atStatementStart) {
      this.delimiter = delimiter[1]!;
      out.push({ to: "client", bytes: withNewline });
      return;
    }
    if (this.atStatementStart && this.delimiter === ";") {
      if (LOCKING.test(trimmed)) return;
      if (SESSION_SETTING.test(trimmed)) {
        out.push({ to: "session", bytes: withNewline });
        return;
      }
    }
    out.push({ to: "client", bytes: withNewline });
    this.atStatementStart = trimmed.endsWith(this.delimiter);
  }
}
