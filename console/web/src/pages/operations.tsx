import { useState } from "preact/hooks";
import { z } from "zod";
import type { DatabaseCluster } from "../../../../shared/api/index.js";
import { STEWARD } from "../access.js";
import { call } from "../api.js";
import { ErrorText, GatedButton } from "../components.js";
import { quantityBytes, switchoverCapability } from "../model.js";

/** Switchover, scale and storage growth: each a patch the API server checks (storage never shrinks, by CEL). */
export function Operations(props: { cluster: DatabaseCluster }) {
  const { namespace, name } = props.cluster.metadata;
  const [replicas, setReplicas] = useState(String(props.cluster.spec.replicas));
  const [size, setSize] = useState(String(props.cluster.spec.storage.size));
  const [message, setMessage] = useState<string>();
  const [error, setError] = useState<string>();
  const patchCheck = { verb: "patch" as const, group: STEWARD, resource: "databaseclusters", namespace, name };
  const change = (body: Record<string, unknown>, done: string) => {
    setError(undefined);
    setMessage(undefined);
    call("PATCH", `/api/clusters/${namespace}/${name}`, z.unknown(), body).then(() => setMessage(done), (failure: unknown) => setError(String(failure)));
  };
  const switchover = switchoverCapability(props.cluster);
  const current = quantityBytes(props.cluster.spec.storage.size);
  const wanted = quantityBytes(size);
  const sizeProblem = wanted === undefined ? "enter a size such as 20Gi" : current !== undefined && wanted < current ? `storage can't shrink below ${props.cluster.spec.storage.size}` : wanted === current ? "enter a larger size" : undefined;
  const replicasNumber = Number(replicas);
  return (
    <div class="card" id="operations">
      <h2>Operations</h2>
      <ErrorText error={error} />
      {message && <p role="status" class="ok-text">{message}</p>}
      <div class="operation">
        <h3>Switchover</h3>
        <p class="sub">Moves the primary to the most advanced healthy replica; writes pause briefly.</p>
        <GatedButton id="switchover" check={patchCheck} blocked={switchover.possible ? undefined : switchover.reason} onClick={() => change({ switchover: "auto" }, "Switchover requested; the operator records the result on the cluster.")}>
          Switch over
        </GatedButton>
      </div>
      <div class="operation">
        <h3>Scale</h3>
        <label>
          Instances
          <input type="number" min={1} max={15} value={replicas} onInput={(event) => setReplicas(event.currentTarget.value)} />
        </label>
        <GatedButton id="scale" check={patchCheck} blocked={Number.isInteger(replicasNumber) && replicasNumber >= 1 && replicasNumber !== props.cluster.spec.replicas ? undefined : "choose a different number of instances (1-15)"} onClick={() => change({ replicas: replicasNumber }, `Scaling to ${replicasNumber} instances.`)}>
          Scale
        </GatedButton>
      </div>
      <div class="operation">
        <h3>Storage</h3>
        <p class="warn-text">Storage can grow but never shrink: a larger volume can't be undone.</p>
        <label>
          Size per instance
          <input type="text" value={size} onInput={(event) => setSize(event.currentTarget.value)} />
        </label>
        <GatedButton id="grow" check={patchCheck} blocked={sizeProblem} onClick={() => change({ storageSize: size.trim() }, `Growing storage to ${size.trim()}.`)}>
          Grow storage
        </GatedButton>
      </div>
    </div>
  );
}
