import type { Compression } from "../format/compression.js";

/** The options of the agent's commands (commands.ts), as the jobs that run them read them. */

export interface EngineOptions {
  engine: string;
  flavor?: string;
  host?: string;
  port?: string;
  socket?: string;
  physicalSource?: string;
}

export interface BackupOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  backup: string;
  method: "logical" | "physical";
  incremental?: boolean;
  compression: Compression;
  report: boolean;
}

export interface ArchiveOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  compression: Compression;
  maxSegmentAge: string;
  interval: string;
  dataDir?: string;
  once?: boolean;
}

export interface RestoreOptions extends EngineOptions {
  namespace: string;
  restore?: string;
  sourceCluster: string;
  backup?: string;
  pointInTime?: string;
  replaceExisting?: boolean;
  checksumsOnly?: boolean;
  checkOnly?: boolean;
  report: boolean;
}

export interface VerifyOptions extends EngineOptions {
  namespace: string;
  cluster: string;
  backup: string;
  workDir?: string;
  report: boolean;
}
