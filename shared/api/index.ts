export * from "./common.js";
export * from "./cron.js";
export * from "./database-cluster.js";
export * from "./database-backup.js";
export * from "./database-restore.js";
export * from "./backup-storage.js";
export * from "./database-template.js";
