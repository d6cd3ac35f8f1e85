import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installSlotLookup, slotBlockNames } from "./slot-names.js";

const hostsText = [
  "127.0.0.1 localhost",
  "# BEGIN steward-local slot 3",
  "10.96.3.10 s3.steward-system.svc s3.steward-system.svc.cluster.local",
  "# END steward-local slot 3",
  "# BEGIN steward-local slot 5",
  "10.96.5.10 s3.steward-system.svc s3.steward-system.svc.cluster.local",
  "127.0.0.1 only-in-five.svc",
  "# END steward-local slot 5",
].join("\n");

describe("slot names for host processes", () => {
  it("reads only the slot's own block", () => {
    const five = slotBlockNames(hostsText, "# BEGIN steward-local slot 5", "# END steward-local slot 5");
    expect(five.get("s3.steward-system.svc")).toBe("10.96.5.10");
    expect(five.get("only-in-five.svc")).toBe("127.0.0.1");
    expect(five.has("localhost")).toBe(false);
    const three = slotBlockNames(hostsText, "# BEGIN steward-local slot 3", "# END steward-local slot 3");
    expect(three.get("s3.steward-system.svc.cluster.local")).toBe("10.96.3.10");
    expect(three.has("only-in-five.svc")).toBe(false);
  });

  it("makes a real connection go to the slot's address, other names untouched", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slot-names-"));
    const hostsFile = join(dir, "hosts");
    writeFileSync(hostsFile, hostsText);
    installSlotLookup(5, hostsFile);
    const server = createServer((socket) => socket.end("slot five"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const read = async (host: string) => {
      const socket = connect({ host, port });
      let text = "";
      socket.on("data", (chunk) => (text += String(chunk)));
      await once(socket, "end");
      return text;
    };
    try {
      // Not a name the system resolves: only the slot's block can answer it.
      expect(await read("only-in-five.svc")).toBe("slot five");
      expect(await read("localhost")).toBe("slot five");
      expect(() => installSlotLookup(3, hostsFile)).toThrow(/already installed for slot 5/);
    } finally {
      server.close();
    }
  });
});
