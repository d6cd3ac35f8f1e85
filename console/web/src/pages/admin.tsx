import { useEffect, useState } from "preact/hooks";
import { z } from "zod";
import { STEWARD } from "../access.js";
import { backupStorage, call, storageTest } from "../api.js";
import { ErrorText, GatedButton } from "../components.js";

type Storage = z.infer<typeof backupStorage>;

/** Backup storages, with a real S3 call behind "Test connection". */
export function AdminPage() {
  const [storages, setStorages] = useState<Storage[]>();
  const [error, setError] = useState<string>();
  const [results, setResults] = useState<Record<string, z.infer<typeof storageTest> | string>>({});
  useEffect(() => void call("GET", "/api/storages", z.array(backupStorage)).then(setStorages, (failure: unknown) => setError(String(failure))), []);
  const test = (storage: Storage) => {
    const key = `${storage.metadata.namespace}/${storage.metadata.name}`;
    setResults({ ...results, [key]: "testing…" });
    call("POST", `/api/storages/${storage.metadata.namespace}/${storage.metadata.name}/test`, storageTest).then(
      (result) => setResults((previous) => ({ ...previous, [key]: result })),
      (failure: unknown) => setResults((previous) => ({ ...previous, [key]: String(failure) })),
    );
  };
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Admin</h1>
      <p><a href="#/catalog">Templates</a> are listed in the catalog.</p>
      <h2>Backup storages</h2>
      <ErrorText error={error} />
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Storage</th><th scope="col">Target</th><th scope="col">Phase</th><th scope="col">Connection</th></tr></thead>
          <tbody>
            {(storages ?? []).map((storage) => {
              const key = `${storage.metadata.namespace}/${storage.metadata.name}`;
              const result = results[key];
              return (
                <tr key={key} data-storage={key}>
                  <th scope="row">{storage.metadata.name}<span class="sub">{storage.metadata.namespace}</span></th>
                  <td><code>s3://{storage.spec.s3.bucket}/{storage.spec.s3.prefix}</code>{storage.spec.s3.endpoint && <span class="sub">{storage.spec.s3.endpoint}</span>}{storage.spec.encryption && <span class="sub">encrypted</span>}</td>
                  <td>{storage.status?.phase ?? "-"}</td>
                  <td>
                    <GatedButton id={`test-${storage.metadata.namespace}-${storage.metadata.name}`} check={{ verb: "get", group: "", resource: "secrets", namespace: storage.metadata.namespace, name: storage.spec.s3.credentialsSecret.name }} onClick={() => test(storage)}>
                      Test connection
                    </GatedButton>
                    {result && <p class={typeof result === "string" ? "sub" : result.ok ? "ok-text" : "error"} role="status">{typeof result === "string" ? result : `${result.ok ? "OK" : "Failed"}: ${result.message} (${result.milliseconds} ms)`}</p>}
                  </td>
                </tr>
              );
            })}
            {storages?.length === 0 && <tr><td colSpan={4}>No backup storages you can see.</td></tr>}
          </tbody>
        </table>
      </div>
      <p class="sub">Storages are namespaced resources ({STEWARD} BackupStorage); create them with kubectl.</p>
    </section>
  );
}
