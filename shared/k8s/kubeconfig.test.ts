import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fromKubeconfigFiles, inClusterAccess } from "./kubeconfig.js";

// Hand-written kubeconfigs in the shapes kubectl writes; the material is placeholder bytes, not keys.
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kubeconfig-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("fromKubeconfigFiles", () => {
  it("reads the current context's cluster, user and namespace, with inline material", async () => {
    const file = write(
      "config",
      `apiVersion: v1
kind: Config
current-context: b
clusters:
- {name: one, cluster: {server: "https://one:6443/", certificate-authority-data: ${b64("CA-ONE")}}}
- {name: two, cluster: {server: "https://two:6443", certificate-authority-data: ${b64("CA-TWO")}, tls-server-name: api.two}}
users:
- {name: admin, user: {client-certificate-data: ${b64("CERT")}, client-key-data: ${b64("KEY")}}}
contexts:
- {name: a, context: {cluster: one, user: admin}}
- {name: b, context: {cluster: two, user: admin, namespace: shop}}
`,
    );
    const access = fromKubeconfigFiles([file]);
    expect(access.server).toBe("https://two:6443");
    expect(access.namespace).toBe("shop");
    const { tls, headers } = await access.connection();
    expect(tls.ca?.toString()).toBe("CA-TWO");
    expect(tls.cert?.toString()).toBe("CERT");
    expect(tls.key?.toString()).toBe("KEY");
    expect(tls.servername).toBe("api.two");
    expect(tls.rejectUnauthorized).toBeUndefined();
    expect(headers).toEqual({});
  });

  it("resolves file paths relative to the kubeconfig and reads a token file", async () => {
    mkdirSync(join(dir, "pki"));
    write("pki/ca.crt", "CA-FILE");
    write("token", "tok-1\n");
    const file = write(
      "config",
      `current-context: c
clusters: [{name: k, cluster: {server: "https://k", certificate-authority: pki/ca.crt, insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token-file: token, as: someone}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
    );
    const { tls, headers } = await fromKubeconfigFiles([file]).connection();
    expect(tls.ca?.toString()).toBe("CA-FILE");
    expect(tls.rejectUnauthorized).toBe(false);
    expect(headers).toEqual({ authorization: "Bearer tok-1", "impersonate-user": "someone" });
  });

  it("merges several files as kubectl does: the first current-context and the first entry of a name win", async () => {
    const first = write("first", `clusters: [{name: k, cluster: {server: "https://first"}}]\nusers: [{name: u, user: {token: from-first}}]\n`);
    const second = write(
      "second",
      `current-context: c
clusters: [{name: k, cluster: {server: "https://second"}}]
users: [{name: u, user: {username: basic, password: pw}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
    );
    const access = fromKubeconfigFiles([first, second]);
    expect(access.server).toBe("https://first");
    expect((await access.connection()).headers.authorization).toBe("Bearer from-first");
    const basic = fromKubeconfigFiles([second]);
    expect((await basic.connection()).headers.authorization).toBe(`Basic ${b64("basic:pw")}`);
  });

  it("names what is missing", () => {
    const file = write("config", `current-context: gone\ncontexts: []\n`);
    expect(() => fromKubeconfigFiles([file])).toThrow(/no context "gone"/);
  });

  it("hands exec-plugin users to client-node's KubeConfig, which runs the plugin", async () => {
    const plugin = write("plugin.sh", `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'\n`);
    const file = write(
      "config",
      `current-context: c
clusters: [{name: k, cluster: {server: "https://k"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: [${plugin}], interactiveMode: Never}}}]
contexts: [{name: c, context: {cluster: k, user: u, namespace: ns}}]
`,
    );
    const access = fromKubeconfigFiles([file]);
    expect(access.server).toBe("https://k");
    expect(access.namespace).toBe("ns");
    expect((await access.connection()).headers.authorization).toBe("Bearer from-exec");
  });
});

describe("inClusterAccess", () => {
  it("reads the service account's token, CA and namespace", async () => {
    write("token", "sa-token");
    write("ca.crt", "SA-CA");
    write("namespace", "steward-system");
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = "fd00::1";
    process.env.KUBERNETES_SERVICE_PORT = "443";
    try {
      const access = inClusterAccess(dir);
      expect(access.server).toBe("https://[fd00::1]:443");
      expect(access.namespace).toBe("steward-system");
      const { tls, headers } = await access.connection();
      expect(tls.ca?.toString()).toBe("SA-CA");
      expect(headers.authorization).toBe("Bearer sa-token");
    } finally {
      for (const [key, value] of [["KUBERNETES_SERVICE_HOST", saved.host], ["KUBERNETES_SERVICE_PORT", saved.port]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
