/**
 * Which `spec.config` keys the API server refuses, per engine. Each list is one regular
 * expression (RE2 and JavaScript read it alike) so the CRD's CEL rule and the unit tests use the
 * same text. A key is refused when it turns off authentication or authorization, loads code or
 * reads/writes files of the server's choosing, or sets what the operator owns (replication,
 * failover, the pod layout, the listeners). The operators still drop reserved keys of objects
 * admitted before these rules existed (defence in depth); this is where a user learns why.
 *
 * The engine names here are the API's own enum values (like the other CEL rules of the spec);
 * the engine folders keep their own lists of what they write, and config.test.ts of each engine
 * checks that every key it writes is refused here.
 */

/**
 * MySQL / MariaDB option names, matched after lower-casing and turning `_` into `-` (mysqld
 * reads both spellings). Option prefixes are stripped first: `loose-` (ignore unknown options)
 * and the boolean ones (`skip-`, `disable-`, `enable-`) and `maximum-`, so `skip-grant-tables`,
 * `loose_skip_grant_tables` and `disable-log-bin` are all caught by their base name.
 */
const MYSQL_BASES = [
  // authentication, authorization and code loading
  "grant-tables", // skip-grant-tables: no passwords at all
  "init-file", // runs an SQL file as root at start
  "init-connect",
  "init-slave",
  "init-replica",
  "plugin-load",
  "plugin-load-add",
  "plugin-dir",
  "plugin-maturity",
  "secure-file-priv", // where LOAD DATA / SELECT INTO OUTFILE may touch files
  "secure-auth",
  "old-passwords",
  "old-mode",
  "local-infile",
  "symbolic-links",
  "chroot",
  "user",
  "defaults-file",
  "defaults-extra-file",
  "defaults-group-suffix",
  // files and folders: the pod layout and the volumes
  "datadir",
  "basedir",
  "tmpdir",
  "socket",
  "pid-file",
  "log-error",
  "general-log-file",
  "slow-query-log-file",
  "innodb-data-home-dir",
  "innodb-log-group-home-dir",
  "innodb-undo-directory",
  "innodb-tmpdir",
  "aria-log-dir-path",
  "character-sets-dir",
  "lc-messages-dir",
  // networking the Services and probes rely on
  "port",
  "bind-address",
  "networking",
  "name-resolve",
  "report-host",
  "report-port",
  // replication and failover
  "server-id",
  "log-bin",
  "log-bin-index",
  "log-bin-basename",
  "binlog-format",
  "relay-log",
  "relay-log-index",
  "relay-log-recovery",
  "log-slave-updates",
  "log-replica-updates",
  "read-only",
  "super-read-only",
  "slave-start",
  "replica-start",
  "slave-net-timeout",
  "replica-net-timeout",
  "enforce-gtid-consistency",
  "sync-binlog",
  "innodb-flush-log-at-trx-commit",
  "wsrep-on",
];
const MYSQL_PREFIXES = ["gtid-", "rpl-semi-sync-", "wsrep-", "master-", "source-"];

export const MYSQL_DENIED_CONFIG = `^(loose-)?(skip-|disable-|enable-|maximum-)?(${[...MYSQL_BASES, ...MYSQL_PREFIXES.map((prefix) => `${prefix}.*`)].join("|")})$`;

/** redis.conf directives, matched lower-cased (redis reads them case-insensitively). */
const REDIS_DENIED = [
  // authentication and commands that run code or reach the file system
  "requirepass",
  "user",
  "aclfile",
  "rename-command",
  "enable-debug-command",
  "enable-module-command",
  "enable-protected-configs",
  "loadmodule",
  "protected-mode",
  // files and the pod layout
  "dir",
  "dbfilename",
  "appenddirname",
  "appendfilename",
  "include",
  "logfile",
  "pidfile",
  "unixsocket",
  "unixsocketperm",
  "daemonize",
  "supervised",
  "bind",
  "port",
  // replication and failover
  "replicaof",
  "slaveof",
  "masterauth",
  "masteruser",
  "replica-announce-ip",
  "slave-announce-ip",
  "replica-announce-port",
  "slave-announce-port",
  "replica-read-only",
  "slave-read-only",
  "cluster-.*",
];

export const REDIS_DENIED_CONFIG = `^(${REDIS_DENIED.join("|")})$`;

/** Held by the operator only while failover.dataLoss is none: the write quorum is that promise. */
export const REDIS_DENIED_WITH_NO_DATA_LOSS = "^(min-replicas-to-write|min-slaves-to-write)$";

/**
 * rabbitmq.conf keys (case-sensitive, dotted): a key is refused when it is one of these or below
 * one (`listeners.tcp.default` below `listeners.tcp`).
 */
const RABBITMQ_DENIED = [
  // authentication and authorization
  "default_user",
  "default_pass",
  "default_user_tags",
  "default_permissions",
  "default_vhost",
  "loopback_users",
  "auth_backends",
  "auth_mechanisms",
  "anonymous_login_user",
  "anonymous_login_pass",
  "auth_ldap",
  "auth_http",
  // files: definitions run as the administrator, logs go to the console
  "load_definitions",
  "definitions",
  "management.load_definitions",
  "log.console",
  "log.file",
  "log.dir",
  // the cluster the operator forms, its listeners and what the Services rely on
  "cluster_formation",
  "cluster_name",
  "cluster_partition_handling",
  "listeners.tcp",
  "listeners.ssl",
  "distribution.listener",
  "management.tcp",
  "management.ssl",
  "management.listener",
  "prometheus.tcp",
  "prometheus.ssl",
  // the server certificate (spec.tls) and how clients are verified; versions and ciphers stay open
  "ssl_options.cacertfile",
  "ssl_options.certfile",
  "ssl_options.keyfile",
  "ssl_options.verify",
  "ssl_options.fail_if_no_peer_cert",
];

export const RABBITMQ_DENIED_CONFIG = `^(${RABBITMQ_DENIED.map((key) => key.replace(/\./g, "\\.")).join("|")})(\\..*)?$`;

/** The key as the engine reads it, the same CEL expression the CRD rule uses. */
const CEL_KEY = {
  mysql: "k.lowerAscii().replace('_', '-')",
  redis: "k.lowerAscii()",
  rabbitmq: "k",
} as const;

function normalized(engine: keyof typeof CEL_KEY, key: string): string {
  if (engine === "mysql") return key.toLowerCase().replace(/_/g, "-");
  return engine === "redis" ? key.toLowerCase() : key;
}

const PATTERNS = { mysql: MYSQL_DENIED_CONFIG, redis: REDIS_DENIED_CONFIG, rabbitmq: RABBITMQ_DENIED_CONFIG } as const;

/** Whether the API server refuses this spec.config key for this engine (the unit tests' view of the CEL rule). */
export function isDeniedConfigKey(engine: string, key: string, dataLoss: "none" | "allowed" = "none"): boolean {
  if (!(engine in PATTERNS)) return false;
  const name = engine as keyof typeof PATTERNS;
  if (new RegExp(PATTERNS[name]).test(normalized(name, key))) return true;
  return name === "redis" && dataLoss === "none" && new RegExp(REDIS_DENIED_WITH_NO_DATA_LOSS).test(normalized(name, key));
}

function celString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

interface CelRule {
  rule: string;
  messageExpression: string;
  fieldPath: string;
  reason?: string;
}

function deniedKeyRule(engine: keyof typeof CEL_KEY, pattern: string, why: string, condition = `has(self.engine) && self.engine == '${engine}'`): CelRule {
  const matches = `${CEL_KEY[engine]}.matches(${celString(pattern)})`;
  return {
    rule: `!(${condition}) || !has(self.config) || !self.config.exists(k, ${matches})`,
    // The message names the first refused key, so the user knows which line to remove.
    messageExpression: `'spec.config.' + self.config.filter(k, ${matches})[0] + ' ${why}'`,
    fieldPath: ".config",
  };
}

/** The spec-level CEL rules that refuse denied spec.config keys, one per engine. */
export function configKeyRules(): CelRule[] {
  return [
    deniedKeyRule("mysql", MYSQL_DENIED_CONFIG, "is refused for mysql clusters: it weakens security or is set by Steward (replication, files, listeners); remove it"),
    deniedKeyRule("redis", REDIS_DENIED_CONFIG, "is refused for redis clusters: it weakens security or is set by Steward (replication, files, listeners); remove it"),
    deniedKeyRule(
      "redis",
      REDIS_DENIED_WITH_NO_DATA_LOSS,
      "is set by Steward while failover.dataLoss is none; remove it or set failover.dataLoss: allowed",
      "has(self.engine) && self.engine == 'redis' && (!has(self.failover) || !has(self.failover.dataLoss) || self.failover.dataLoss == 'none')",
    ),
    deniedKeyRule("rabbitmq", RABBITMQ_DENIED_CONFIG, "is refused for rabbitmq clusters: it weakens security or is set by Steward (users, cluster formation, listeners); remove it"),
  ];
}
