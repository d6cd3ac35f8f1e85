import type { LazyCommand } from "./lazy-commands.js";

/**
 * Every top-level command; only the one the command line names is loaded (`steward operator`
 * loads the operator, `steward agent backup` the backup agent, `steward --help` nothing).
 */
export const COMMANDS: readonly LazyCommand[] = [
  {
    name: "operator",
    usage: "[options]",
    description: "Run the Steward operator against the current kubeconfig (one leader at a time, via a Lease)",
    load: async () => (await import("./operator.js")).operatorCommand(),
  },
  {
    name: "status",
    usage: "[options] [cluster]",
    description: "Show database clusters: one line each, or one cluster's summary, instances, backups, point in time and events",
    load: async () => (await import("./status.js")).statusCommand(),
  },
  {
    name: "switchover",
    usage: "[options] <cluster>",
    description: "Move a cluster's primary to a replica, for engines that have a switchover (writes pause for about a second)",
    load: async () => (await import("./switchover.js")).switchoverCommand(),
  },
  {
    name: "backups",
    usage: "[options] <cluster>",
    description: "List a cluster's backups: start and finish, size, duration, method, verification, what retention removes next",
    load: async () => (await import("./backup-list.js")).backupsCommand(),
  },
  {
    name: "backup",
    usage: "[options] <cluster>",
    description: "Back up a cluster now and follow the backup until it is Completed or Failed",
    load: async () => (await import("./backup.js")).backupCommand(),
  },
  {
    name: "restore",
    usage: "[options]",
    description: "Restore a backup or a point in time into a new cluster (default) or in place, and follow it",
    load: async () => (await import("./restore.js")).restoreCommand(),
  },
  {
    name: "version",
    usage: "[options]",
    description: "Print the CLI's version and the operator's (read from its Deployment in the cluster)",
    load: async () => (await import("./version.js")).versionCommand(),
  },
  {
    name: "completion",
    description: "Shell completion for bash, zsh and fish, with cluster, backup and template names",
    load: async () => (await import("./completion.js")).completionCommand(),
  },
  {
    name: "console",
    usage: "[options]",
    description: "Open the web console: databases, backups, restores and the catalog, with your own Kubernetes identity",
    load: async () => (await import("../console/command.js")).consoleCommand(),
  },
  {
    name: "catalog",
    description: "The app catalog: list and show templates, diff and upgrade clusters made from them",
    load: async () => (await import("./catalog.js")).catalogCommand(),
  },
  {
    name: "create",
    usage: "[options] <name>",
    description: "Create a database cluster from a catalog template; the template's parameters are flags",
    load: async (args) => (await import("./create.js")).createCommand(args),
  },
  {
    name: "local",
    usage: "[options]",
    description: "A local Kubernetes cluster on this machine (needs root): real control plane, process runtime, S3, operator",
    load: async () => (await import("./local.js")).localCommand(),
  },
  {
    name: "agent",
    description: "In-pod agent: sidecar of database pods, and backup/restore Jobs (not for interactive use)",
    load: async (args) => (await import("./agent.js")).agentCommand(args),
  },
];
