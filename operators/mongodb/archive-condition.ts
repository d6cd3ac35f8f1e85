/**
 * The `OplogArchived` condition of a MongoDB cluster with point in time enabled, from what the
 * backup controllers wrote in its status: `pointInTime.gaps` (spans that cannot be recovered
 * to, including a rolled-over oplog the archiver recorded). A gap that runs to the window's end
 * means no backup was taken since: no later time can be recovered until one is. Pure: the
 * engine's observe adds it to its conditions.
 */
import type { DatabaseCluster, EffectiveSpec } from "../../shared/api/index.js";
import type { ConditionInput } from "../engine.js";

export function oplogArchiveCondition(cluster: Pick<DatabaseCluster, "metadata" | "status">, spec: Pick<EffectiveSpec, "backup">): ConditionInput | undefined {
  if (!spec.backup?.pointInTime?.enabled) return undefined;
  const gaps = cluster.status?.pointInTime?.gaps ?? [];
  const latest = cluster.status?.pointInTime?.latest;
  const open = gaps.find((gap) => latest !== undefined && Date.parse(gap.to) >= Date.parse(latest));
  if (open) {
    return {
      type: "OplogArchived",
      status: "False",
      reason: "GapInArchive",
      message: `Times after ${open.from} cannot be recovered: ${open.reason}. Take a backup (steward backup ${cluster.metadata.name}) to start a recoverable window after it`,
    };
  }
  if (gaps.length > 0) return { type: "OplogArchived", status: "True", reason: "BackupAfterGap", message: `${gaps.length} earlier span(s) cannot be recovered to (status.pointInTime.gaps); a backup since makes later times recoverable` };
  return { type: "OplogArchived", status: "True", reason: "NoGaps", message: "The oplog archive has no gap in the recoverable window" };
}
