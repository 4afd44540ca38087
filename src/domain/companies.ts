// F-30: who may see a partner's companies. Acting on them is the F-11 matrix
// (roles.ts); seeing them belongs to every portal role of a partner
// organization. Operators and customer organizations' users have no companies.
import type { Actor } from "./actor";

export const canViewCompanies = (actor: Pick<Actor, "orgKind" | "role">) => actor.orgKind === "partner" && actor.role !== "operator";
