// The signed-in account as every policy sees it.
import type { ModuleGrants } from "./analytics";
import type { Role } from "./roles";

export interface Actor {
  id: string;
  orgId: string;
  orgKind: "vendor" | "partner" | "customer";
  /** Shown beside the user and on handouts; read with the account, so no page asks D1 for it again. */
  orgName: string;
  email: string;
  name: string;
  role: Role;
  purchaser: boolean;
  analyticsAccess: "N" | "I" | "Y";
  analyticsAdmin: boolean;
  analyticsOwner: boolean;
  /** The caller's own analytics module grants (F-44), read in the same D1 batch as the account. */
  modules: ModuleGrants;
}

/** Whether two reads of an account would get the same answer from every policy: each field and each module grant equal. */
export function sameActor(a: Actor, b: Actor): boolean {
  for (const key of Object.keys(a) as (keyof Actor)[]) {
    if (key !== "modules" && a[key] !== b[key]) return false;
  }
  const modules = Object.keys(a.modules) as (keyof Actor["modules"])[];
  return (
    Object.keys(b).length === Object.keys(a).length &&
    Object.keys(b.modules).length === modules.length &&
    modules.every((m) => a.modules[m] === b.modules[m])
  );
}
