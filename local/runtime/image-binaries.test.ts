import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IMAGE_BINARIES, hostArgv } from "./image-binaries.js";

describe("image binaries on the host", () => {
  it("maps an image's own binary to the host's and leaves other commands alone", () => {
    expect(hostArgv(["/bin/mysqld_exporter", "--web.listen-address=:9104"])).toEqual(["/usr/bin/prometheus-mysqld-exporter", "--web.listen-address=:9104"]);
    expect(hostArgv(["sh", "-c", "true"])).toEqual(["sh", "-c", "true"]);
    expect(hostArgv([])).toEqual([]);
  });

  it("names binaries that local/setup.sh installs", () => {
    for (const binary of Object.values(IMAGE_BINARIES)) expect(existsSync(binary), binary).toBe(true);
  });
});
