/**
 * Where an image's own binary lives on this host. The local runtime has no images: a command
 * runs as the spec names it, which works for names on the PATH (sh, redis-server, steward).
 * Images that start a binary by an absolute path of their own need it mapped to the Debian
 * package that provides the same program, at the version the production image is pinned to.
 */
export const IMAGE_BINARIES: Readonly<Record<string, string>> = {
  // prom/mysqld-exporter:v0.14.0 -> Debian prometheus-mysqld-exporter 0.14.0
  "/bin/mysqld_exporter": "/usr/bin/prometheus-mysqld-exporter",
  // oliver006/redis_exporter:v1.45.0 -> Debian prometheus-redis-exporter 1.45.0
  "/redis_exporter": "/usr/bin/prometheus-redis-exporter",
};

/** argv with its first element replaced by the host's binary when it names an image's one. */
export function hostArgv(argv: readonly string[]): string[] {
  const [first, ...rest] = argv;
  if (first === undefined) return [];
  return [IMAGE_BINARIES[first] ?? first, ...rest];
}
