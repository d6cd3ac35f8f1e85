import { describe, expect, it } from "vitest";
import { capabilitiesOf, parseRabbitmqVersion, unsupportedVersion } from "./version.js";

describe("RabbitMQ versions", () => {
  it("parses what /api/overview reports", () => {
    expect(parseRabbitmqVersion("3.10.8")).toEqual({ major: 3, minor: 10, patch: 8 });
    expect(parseRabbitmqVersion("4.1")).toEqual({ major: 4, minor: 1, patch: 0 });
    expect(parseRabbitmqVersion("x")).toBeUndefined();
  });

  it.each([
    ["3.10.8", false],
    ["3.12.14", false],
    ["3.13.7", true],
    ["4.0.5", true],
  ])("%s has the quorum queue replica endpoints: %s", (version, expected) => {
    expect(capabilitiesOf(parseRabbitmqVersion(version)!).replicaEndpoints).toBe(expected);
  });

  it("has the health checks, rebalancing and maintenance mode from 3.10 on", () => {
    expect(capabilitiesOf(parseRabbitmqVersion("3.10.8")!)).toMatchObject({ quorumCriticalCheck: true, rebalanceEndpoint: true, maintenanceMode: true });
  });

  it.each([
    ["3.13", undefined],
    ["4.1", undefined],
    ["3.10", undefined],
    ["3.9", "RabbitMQ 3.9 is older than 3.10, the oldest series Steward runs; use 3.13 or 4.x"],
    ["5.0", "RabbitMQ 5.0 is newer than this build of Steward knows (4.x); use 3.13 or 4.x"],
  ])("spec.version %s: %s", (version, message) => {
    expect(unsupportedVersion(version)).toBe(message);
  });
});
