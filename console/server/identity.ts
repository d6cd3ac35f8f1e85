import { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";
import { KubeClient } from "../../shared/k8s/client.js";
import { KubeTransport, type HttpRequest } from "../../shared/k8s/transport.js";

/**
 * Who a console request acts as: a Kubernetes client carrying the user's own credentials, so
 * the API server's RBAC and admission decide everything. The console holds no RBAC of its own.
 */
export class UserApi {
  readonly client: KubeClient;
  private readonly transport: KubeTransport;

  constructor(
    kubeConfig: KubeConfig,
    readonly username: string,
  ) {
    this.client = new KubeClient(kubeConfig);
    this.transport = new KubeTransport(kubeConfig);
  }

  /** A raw call (dry runs, reviews, paths the typed client does not cover); non-2xx throws KubeApiError. */
  raw(request: HttpRequest): Promise<unknown> {
    return this.transport.json(request);
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.transport.close()]);
  }
}

const selfSubjectReview = z.object({ status: z.object({ userInfo: z.looseObject({ username: z.string().optional() }) }) });

/** The user the API server sees behind these credentials (SelfSubjectReview, Kubernetes 1.28+). */
export async function whoAmI(kubeConfig: KubeConfig): Promise<string> {
  const transport = new KubeTransport(kubeConfig);
  try {
    const answer = selfSubjectReview.parse(
      await transport.json({ method: "POST", path: "/apis/authentication.k8s.io/v1/selfsubjectreviews", body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } }),
    );
    return answer.status.userInfo.username ?? "unknown";
  } finally {
    await transport.close();
  }
}

/** The API server's address and CA from `base`, with a signed-in user's bearer token as the only credential. */
export function kubeConfigForToken(base: KubeConfig, token: string): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error("the console's kubeconfig names no cluster to send users' tokens to");
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: "cluster", server: cluster.server, caData: cluster.caData, caFile: cluster.caFile, skipTLSVerify: cluster.skipTLSVerify, tlsServerName: cluster.tlsServerName }],
    users: [{ name: "user", token }],
    contexts: [{ name: "console", cluster: "cluster", user: "user" }],
    currentContext: "console",
  });
  return config;
}
