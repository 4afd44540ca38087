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
