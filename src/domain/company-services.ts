// F-31: the four kinds of company services, each with the verb that ends it
// and the F-11 permission that guards it. Pages, API and handouts read this.
// `plural` heads a section; `inText` is the plural inside a sentence.
import * as z from "../lib/zod";
import type { PortalPermission } from "./roles";
import { emailSchema } from "./email";

export const SERVICE_KINDS = {
  eul_user: { label: "EUL user", plural: "EUL users", inText: "EUL users", path: "eul-users", endVerb: "disable", ended: "Disabled", permission: "manageEulUsers" },
  team_vmr: { label: "Team VMR", plural: "Team VMRs", inText: "Team VMRs", path: "team-vmrs", endVerb: "deactivate", ended: "Deactivated", permission: "manageTeamVmrs" },
  endpoint: { label: "Endpoint subscription", plural: "Endpoint subscriptions", inText: "endpoint subscriptions", path: "endpoints", endVerb: "disable", ended: "Disabled", permission: "manageEndpoints" },
  domain: { label: "Domain hosting", plural: "Domain hosting", inText: "hosted domains", path: "domains", endVerb: "terminate", ended: "Terminated", permission: "manageDomains" },
} as const satisfies Record<string, { label: string; plural: string; inText: string; path: string; endVerb: string; ended: string; permission: PortalPermission }>;
export type ServiceKind = keyof typeof SERVICE_KINDS;
export const SERVICE_KIND_KEYS = Object.keys(SERVICE_KINDS) as ServiceKind[];

const serviceName = z.string().check(z.trim(), z.minLength(1, "Enter a name."), z.maxLength(120, "Use at most 120 characters."));

/** RFC 1123 host names with at least one dot, letters in the last label; lower-cased. */
export const domainNameSchema = z
  .string()
  .check(
    z.trim(),
    z.toLowerCase(),
    z.maxLength(253, "A domain name has at most 253 characters."),
    z.regex(/^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, "Enter a domain name such as video.example.com."),
  );

/** The add form of each kind, validated with zod beside the rule. */
export const SERVICE_INPUTS = {
  eul_user: z.strictObject({ email: emailSchema, name: serviceName }),
  team_vmr: z.strictObject({ name: serviceName }),
  endpoint: z.strictObject({ name: serviceName }),
  domain: z.strictObject({ domain: domainNameSchema }),
} as const;
