import { describe, expect, it } from "vitest";
import { clusterFromTemplate, templateDeploy } from "./catalog.js";

describe("deploys from the catalog", () => {
  it("writes a DatabaseCluster that names the template, its size and parameters (the operator resolves the rest)", () => {
    const request = templateDeploy.parse({ namespace: "shop", name: "orders", template: { name: "mysql-ha", size: "medium", parameters: { storage: "80Gi", replicas: 5 } } });
    expect(request.dryRun).toBe(false);
    expect(clusterFromTemplate(request)).toEqual({
      apiVersion: "steward.dev/v1alpha1",
      kind: "DatabaseCluster",
      metadata: { name: "orders", namespace: "shop" },
      spec: { template: { name: "mysql-ha", size: "medium", parameters: { storage: "80Gi", replicas: 5 } } },
    });
  });

  it("names the field of a bad request", () => {
    const refused = templateDeploy.safeParse({ namespace: "shop", name: "9lives", template: { name: "mysql-ha" } });
    expect(refused.error?.issues.map((issue) => issue.path.join("."))).toEqual(["name"]);
  });
});
