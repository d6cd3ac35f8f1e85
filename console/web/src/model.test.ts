import { describe, expect, it } from "vitest";
import type { DatabaseCluster } from "../../../shared/api/index.js";
import { bothZones, checkPointInTime, clientCommand, phaseInWords, pointInTimeWindow, quantityBytes, refusedField, switchoverCapability, tlsInWords } from "./model.js";

function cluster(status: DatabaseCluster["status"], replicas = 3): DatabaseCluster {
  return {
    apiVersion: "steward.dev/v1alpha1",
    kind: "DatabaseCluster",
    metadata: { name: "orders", namespace: "shop" },
    spec: { engine: "mysql", replicas, storage: { size: "1Gi" }, failover: { delaySeconds: 5, dataLoss: "none" }, paused: false, allowScaleDown: false, deletionPolicy: "RetainData", tls: { enabled: true, required: false } },
    status,
  };
}

const condition = (type: string, status: "True" | "False", message: string) => ({ type, status, reason: "R", message, lastTransitionTime: "2026-12-06T00:00:00Z" });

describe("how the console reads a cluster", () => {
  it("says why a cluster is in its phase, in words", () => {
    expect(phaseInWords(cluster({ phase: "Ready", readyReplicas: 3, conditions: [condition("Ready", "True", "ok")] }))).toMatchObject({ phase: "Ready", reason: "All 3 of 3 instances ready", tone: "ok" });
    expect(phaseInWords(cluster({ phase: "Degraded", readyReplicas: 2, conditions: [condition("Ready", "True", "ok"), condition("Degraded", "True", "orders-2 is not ready: mariadbd exited")] }))).toMatchObject({ reason: "orders-2 is not ready: mariadbd exited", tone: "warn" });
    expect(phaseInWords(cluster(undefined))).toMatchObject({ phase: "Pending", reason: "Waiting for the operator to pick the cluster up" });
  });

  it("offers a switchover only when the status shows a primary and a ready replica", () => {
    expect(switchoverCapability(cluster({ instances: [{ name: "a", role: "primary", ready: true }, { name: "b", role: "replica", ready: true }] })).possible).toBe(true);
    expect(switchoverCapability(cluster({ instances: [{ name: "a", role: "primary", ready: true }] }))).toEqual({ possible: false, reason: "no ready replica to move the primary to" });
    expect(switchoverCapability(cluster({ instances: [{ name: "a", role: "member", ready: true }, { name: "b", role: "member", ready: true }] })).possible).toBe(false);
  });

  it("keeps a point in time inside the recoverable window", () => {
    const window = { earliest: "2026-12-06T01:00:00Z", latest: "2026-12-06T02:00:00Z", gaps: [] };
    expect(checkPointInTime("2026-12-06T01:30:00Z", window)).toBeUndefined();
    expect(checkPointInTime("2026-12-06T00:59:59Z", window)).toMatch(/before the earliest/);
    expect(checkPointInTime("2026-12-06T02:00:01Z", window)).toMatch(/after the latest/);
    expect(checkPointInTime("yesterday", window)).toMatch(/enter a time/);
    expect(checkPointInTime("2026-12-06T01:30:00Z", undefined)).toMatch(/no point-in-time window/);
  });

  it("refuses a point in time inside a gap of the window, and takes the gap's own ends", () => {
    const window = { earliest: "2026-12-06T01:00:00Z", latest: "2026-12-06T02:00:00Z", gaps: [{ from: "2026-12-06T01:10:00Z", to: "2026-12-06T01:20:00Z", reason: "1 log segment of db-0 between mysql-bin.000003 and mysql-bin.000005 never reached the archive" }] };
    expect(checkPointInTime("2026-12-06T01:15:00Z", window)).toBe("inside a gap of the window (2026-12-06T01:10:00Z to 2026-12-06T01:20:00Z): 1 log segment of db-0 between mysql-bin.000003 and mysql-bin.000005 never reached the archive");
    expect(checkPointInTime("2026-12-06T01:10:00Z", window)).toBeUndefined();
    expect(checkPointInTime("2026-12-06T01:20:00Z", window)).toBeUndefined();
    const toTheEnd = { ...window, gaps: [{ ...window.gaps[0]!, to: window.latest }] };
    expect(checkPointInTime("2026-12-06T02:00:00Z", toTheEnd)).toMatch(/inside a gap/);
    const reported = { earliest: "2026-12-06T01:00:00Z", latest: "2026-12-06T02:00:00Z", gaps: window.gaps };
    expect(pointInTimeWindow(cluster({ pointInTime: reported }))?.gaps).toEqual(window.gaps);
  });

  it("has no window while the archive still ends before the base backup", () => {
    expect(pointInTimeWindow(cluster({ pointInTime: { earliest: "2026-12-06T04:36:04Z", latest: "2026-12-06T04:35:59Z" } }))).toBeUndefined();
    expect(pointInTimeWindow(cluster({ pointInTime: { earliest: "2026-12-06T04:36:04Z", latest: "2026-12-06T04:36:09Z" } }))).toEqual({ earliest: "2026-12-06T04:36:04Z", latest: "2026-12-06T04:36:09Z", gaps: [] });
  });

  it("shows times in UTC and the browser's zone", () => {
    expect(bothZones("2026-12-06T10:00:00Z", "UTC")).toBe("2026-12-06 10:00:00 UTC");
    expect(bothZones("2026-12-06T10:00:00Z", "Europe/Paris")).toBe("2026-12-06 10:00:00 UTC (06/12/2026, 11:00:00 Europe/Paris)");
  });

  it("gives a client command by the URI's protocol, without the password", () => {
    expect(clientCommand("mysql://app:********@h:3306/shop", { host: "h", port: "3306", username: "app", database: "shop" })).toBe("mysql -h h -P 3306 -u app -p shop");
    expect(clientCommand("redis://:********@r:6379", {})).toBe('redis-cli -u "redis://@r:6379" --askpass');
    expect(clientCommand("amqp://u:********@q:5672", {})).toBeUndefined();
  });

  it("compares storage sizes in bytes", () => {
    expect(quantityBytes("1Gi")).toBe(2 ** 30);
    expect(quantityBytes("1500M")! > quantityBytes("1Gi")!).toBe(true);
    expect(quantityBytes("big")).toBeUndefined();
  });

  it("puts a refusal against the form field it names", () => {
    const parameters = ["storage", "replicas"];
    expect(refusedField("admission webhook denied: spec.template.parameters.storage must be at least 5Gi (template mysql-ha, Storage per instance)", [], parameters)).toBe("storage");
    expect(refusedField("spec.template.size: template mysql-ha has no size \"huge\"; sizes: small, medium", [], parameters)).toBe("size");
    expect(refusedField("DatabaseCluster.steward.dev \"9x\" is invalid: metadata.name: Invalid value", [{ field: "metadata.name" }], parameters)).toBe("name");
    expect(refusedField("something else entirely", [], parameters)).toBe("");
  });
});

describe("the Connect card's TLS line", () => {
  const now = Date.parse("2026-12-06T00:00:00Z");
  const withTls = (tls: DatabaseCluster["status"], required = true): DatabaseCluster => ({ ...cluster(tls), spec: { ...cluster(undefined).spec, tls: { enabled: true, required } } });
  it("says whether plaintext is refused, who issued the certificate and when it expires", () => {
    const line = tlsInWords(withTls({ tls: { secretName: "orders-tls", issuer: "operator-ca", notAfter: "2027-03-06T00:00:00Z" }, conditions: [condition("TLS", "True", "valid")] }), now);
    expect(line).toEqual({ text: "required; certificate from operator-ca expires 2027-03-06 (in 90 days)", tone: "ok" });
  });
  it("warns with the condition's words when renewal fails", () => {
    const line = tlsInWords(withTls({ tls: { secretName: "orders-tls", issuer: "operator-ca", notAfter: "2026-12-16T00:00:00Z" }, conditions: [condition("TLS", "False", "renewal failed: Secret steward-ca unreadable")] }, false), now);
    expect(line.tone).toBe("warn");
    expect(line.text).toMatch(/^offered \(plaintext accepted\); certificate from operator-ca expires 2026-12-16 \(in 10 days\); R: renewal failed/);
  });
  it("says why TLS is off", () => {
    expect(tlsInWords(cluster({ conditions: [condition("TLS", "False", "This engine does not serve TLS in this build of Steward; connections are plaintext")] }), now)).toEqual({ text: "off: This engine does not serve TLS in this build of Steward; connections are plaintext", tone: "off" });
  });
});
