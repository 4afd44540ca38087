// The signed-in account as every policy sees it.
import type { Role } from "./roles";

export interface Actor {
  id: string;
  orgId: string;
  orgKind: "vendor" | "partner" | "customer";
  email: string;
  name: string;
  role: Role;
  purchaser: boolean;
  analyticsAccess: "N" | "I" | "Y";
  analyticsAdmin: boolean;
  analyticsOwner: boolean;
}
