/**
 * Engine images are pinned to a patch release, never a moving tag such as `mariadb:10.11`: a
 * node that pulls later must run the same server as the others (a replica on a newer patch than
 * its primary, or a restart that quietly upgrades, is how clusters drift). Each engine lists the
 * patch release of every minor version it supports; a spec.version with a patch (8.4.3) is used
 * as written.
 *
 * Override (a mirror, or another patch): the operator's environment variable
 * STEWARD_IMAGE_<REPOSITORY> (e.g. STEWARD_IMAGE_MARIADB=registry.example/mirror/mariadb:{version}),
 * where {version} becomes the pinned version; the Helm chart sets these from `engineImages`.
 */
export function pinnedEngineImage(repository: string, version: string, pins: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): string {
  const tag = pins[version] ?? version;
  const override = env[`STEWARD_IMAGE_${repository.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`];
  return override ? override.replace(/\{version\}/g, tag) : `${repository}:${tag}`;
}
