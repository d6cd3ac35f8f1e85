import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { startConsole } from "./server/server.js";

/** The built web app: console/web/dist beside the sources, whether run from dist/ or not. */
export const WEB_ROOT = fileURLToPath(new URL(import.meta.url.includes("/dist/console/") ? "../../console/web/dist" : "./web/dist", import.meta.url));

/**
 * `steward console`: the web console on this machine with the kubeconfig's identity (like a
 * local Headlamp), or, with --auth token, for many users who each sign in with their own
 * Kubernetes bearer token (what the in-cluster Deployment runs, with TLS).
 */
export function consoleCommand(): Command {
  return new Command("console")
    .description("Open the web console: databases, backups, restores and the catalog, with your own Kubernetes identity")
    .option("--port <port>", "port to listen on", "8443")
    .option("--listen <address>", "address to listen on", "127.0.0.1")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG, in-cluster, or ~/.kube/config)")
    .option("--auth <mode>", "kubeconfig: act as the kubeconfig's user; token: every user signs in with a bearer token", "kubeconfig")
    .option("--tls-cert <file>", "serve HTTPS with this certificate (PEM)")
    .option("--tls-key <file>", "the certificate's private key (PEM)")
    .action(async (options: { port: string; listen: string; kubeconfig?: string; auth: string; tlsCert?: string; tlsKey?: string }) => {
      if (options.auth !== "kubeconfig" && options.auth !== "token") throw new Error(`--auth must be kubeconfig or token, got ${options.auth}`);
      if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) throw new Error("--tls-cert and --tls-key go together");
      // With the kubeconfig's identity, anyone who reaches the port acts as you.
      if (options.auth === "kubeconfig" && !isLoopback(options.listen)) throw new Error(`--auth kubeconfig acts as your kubeconfig's user: listen on a loopback address, not ${options.listen}, or use --auth token`);
      const running = await startConsole({
        port: Number(options.port),
        listen: options.listen,
        auth: options.auth,
        kubeconfig: options.kubeconfig,
        tls: options.tlsCert && options.tlsKey ? { certFile: options.tlsCert, keyFile: options.tlsKey } : undefined,
        webRoot: WEB_ROOT,
      });
      console.log(`Steward console: ${running.url}`);
      const stop = () => void running.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}

export function isLoopback(address: string): boolean {
  return address === "localhost" || address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(address);
}
