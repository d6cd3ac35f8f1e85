/**
 * Whether the signed-in user may do something, asked of the API server
 * (SelfSubjectAccessReview through the console) and cached for the page's life.
 */
import { useEffect, useState } from "preact/hooks";
import { accessAnswers, call, type AccessCheck } from "./api.js";

export interface Access {
  allowed: boolean;
  reason: string;
  known: boolean;
}

const cache = new Map<string, Promise<Access>>();
let pending: { check: AccessCheck; resolve: (access: Access) => void }[] = [];

function flush(): void {
  const batch = pending;
  pending = [];
  call("POST", "/api/access", accessAnswers, batch.map((entry) => entry.check)).then(
    (answers) => batch.forEach((entry, index) => entry.resolve({ ...answers[index]!, known: true })),
    (error: unknown) => batch.forEach((entry) => entry.resolve({ allowed: false, reason: `could not check permissions: ${String(error)}`, known: true })),
  );
}

export function askAccess(check: AccessCheck): Promise<Access> {
  const key = JSON.stringify(check);
  let answer = cache.get(key);
  if (!answer) {
    answer = new Promise<Access>((resolve) => {
      if (pending.length === 0) queueMicrotask(flush);
      pending.push({ check, resolve });
    });
    cache.set(key, answer);
  }
  return answer;
}

export function useAccess(check: AccessCheck): Access {
  const [access, setAccess] = useState<Access>({ allowed: false, reason: "checking permissions…", known: false });
  const key = JSON.stringify(check);
  useEffect(() => {
    let live = true;
    void askAccess(check).then((answer) => live && setAccess(answer));
    return () => {
      live = false;
    };
  }, [key]);
  return access;
}

export const STEWARD = "steward.dev";
