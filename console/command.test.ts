import { describe, expect, it } from "vitest";
import { isLoopback } from "./command.js";

describe("steward console", () => {
  // With --auth kubeconfig anyone who reaches the port acts as the kubeconfig's user.
  it("serves the kubeconfig's identity on loopback addresses only", () => {
    for (const address of ["127.0.0.1", "127.0.10.2", "::1", "localhost"]) expect(isLoopback(address), address).toBe(true);
    for (const address of ["0.0.0.0", "::", "10.0.0.5", "127.0.0.1.example.com"]) expect(isLoopback(address), address).toBe(false);
  });
});
