// F-44 Developer: the product's configuration — call-home URL, the event types
// collection accepts, and the AES key. Read-only sees the settings; Full
// changes them. The AES key is stored encrypted and shown once, when made.
import { sql } from "drizzle-orm";
import * as z from "../lib/zod";
import { analyticsSettings } from "../db/schema";
import type { Deps } from "../deps";
import type { Actor } from "../domain/actor";
import { DEFAULT_EVENT_TYPES, EVENT_TYPE_PATTERN, VISIT_EVENT } from "../domain/analytics-data";
import { guardNot, isGuardAbort } from "../lib/batch";
import { encryptSecret } from "../lib/crypto";
import { toHex } from "../lib/encoding";
import { AppError } from "../lib/errors";
import { randomBytes } from "../lib/ids";
import { requireModule } from "./analytics-context";
import { settingsQuery, settingsRowFrom, upsertSettings, type SettingsRow } from "./analytics-settings";
import { auditInsertSelect } from "./audit";
import { jsonBool, jsonObject } from "../lib/sql-json";

export const MAX_ALLOWED_EVENTS = 30;
export const AES_KEY_ACTION = "analytics.settings.developer.aes_key.generated";

const callHomeUrl = z.pipe(
  z.string({ error: "Enter a URL." }).check(
    z.trim(),
    z.maxLength(2048, "Use at most 2048 characters."),
    z.refine((v) => v === "" || /^https?:\/\//i.test(v), "Use an http:// or https:// address."),
    z.refine((v) => v === "" || URL.canParse(v), "Enter a valid URL, e.g. https://example.com/callhome."),
  ),
  // An empty field clears the URL.
  z.transform((v) => (v === "" ? null : v)),
);

/** 1–30 distinct event types, "visit" among them (visits are what reports count first). */
const allowedEvents = z.pipe(
  z.array(z.string({ error: "Each event type is text." }).check(z.trim(), z.maxLength(40, "An event type has at most 40 characters.")), {
    error: "Send a list of event types.",
  }),
  z.transform((list, ctx) => {
    const unique = [...new Set(list.filter((e) => e !== ""))];
    const bad = unique.find((e) => !EVENT_TYPE_PATTERN.test(e));
    if (bad !== undefined) {
      z.addIssue(ctx, `"${bad.slice(0, 40)}" is not an event type: use lower-case letters, digits and underscores, starting with a letter (at most 40).`);
    } else if (unique.length === 0) {
      z.addIssue(ctx, `List at least one event type, including "${VISIT_EVENT}".`);
    } else if (unique.length > MAX_ALLOWED_EVENTS) {
      z.addIssue(ctx, `List at most ${MAX_ALLOWED_EVENTS} event types.`);
    } else if (!unique.includes(VISIT_EVENT)) {
      z.addIssue(ctx, `The list must include "${VISIT_EVENT}": visits are counted from it.`);
    }
    return unique;
  }),
);

/** PUT semantics: an absent or null field is reset (no call-home URL; the default event types). */
export const DeveloperSettingsInput = z.strictObject({
  callHomeUrl: z.optional(z.nullable(callHomeUrl)),
  allowedEvents: z.optional(z.nullable(allowedEvents)),
});
export type DeveloperSettingsInput = z.infer<typeof DeveloperSettingsInput>;

/** The stored list, or null when the workspace uses the defaults (also when the stored JSON is unreadable). */
function storedEvents(row: Pick<SettingsRow, "allowedEvents"> | null): string[] | null {
  if (!row?.allowedEvents) return null;
  try {
    const parsed: unknown = JSON.parse(row.allowedEvents);
    return Array.isArray(parsed) && parsed.every((e) => typeof e === "string") ? parsed : null;
  } catch {
    return null;
  }
}

function toDeveloperSettings(row: SettingsRow | null, aesKeySetAt: number | null) {
  const events = storedEvents(row);
  return {
    callHomeUrl: row?.callHomeUrl ?? null,
    allowedEvents: events ?? [...DEFAULT_EVENT_TYPES],
    usesDefaultEvents: events === null,
    // Whether a key exists and when it was made, never the key.
    aesKey: { set: Boolean(row?.aesKeyEnc), setAt: row?.aesKeyEnc && aesKeySetAt ? new Date(aesKeySetAt).toISOString() : null },
    updatedAt: row ? new Date(row.updatedAt).toISOString() : null,
  };
}
export type DeveloperSettings = ReturnType<typeof toDeveloperSettings>;

/** What the audit log shows of a change: the settings without any key material. */
const auditView = (s: DeveloperSettings) => ({ callHomeUrl: s.callHomeUrl, allowedEvents: s.usesDefaultEvents ? null : s.allowedEvents });

async function load(deps: Deps, actor: Actor) {
  const [row] = await settingsQuery(deps.db, actor.orgId);
  return toDeveloperSettings(row ?? null, row?.aesKeySetAt ?? null);
}

export async function getDeveloperSettings(deps: Deps, actor: Actor) {
  requireModule(actor, "developer", "read");
  return { developer: await load(deps, actor) };
}

/** storedEvents() as SQL over the settings row: the stored list as JSON, or JSON null (the defaults, or unreadable). */
const storedEventsSql = () => {
  const list = analyticsSettings.allowedEvents;
  // CASE evaluates lazily: json_type and json_each never see malformed JSON.
  return sql`json(CASE WHEN json_valid(${list}) THEN (CASE WHEN json_type(${list}) = 'array' AND NOT EXISTS (SELECT 1 FROM json_each(${list}) WHERE type <> 'text') THEN ${list} ELSE 'null' END) ELSE 'null' END)`;
};

/** auditView() as SQL over the settings row (NULLs when the workspace has none yet). */
const auditViewSql = () => jsonObject({ callHomeUrl: analyticsSettings.callHomeUrl, allowedEvents: storedEventsSql() });

const toDeveloperSettingsOf = (row: SettingsRow | undefined) => toDeveloperSettings(row ?? null, row?.aesKeySetAt ?? null);

export async function updateDeveloperSettings(deps: Deps, actor: Actor, input: DeveloperSettingsInput) {
  requireModule(actor, "developer", "write");
  const patch = { callHomeUrl: input.callHomeUrl ?? null, allowedEvents: input.allowedEvents ? JSON.stringify(input.allowedEvents) : null };
  const after = { callHomeUrl: patch.callHomeUrl, allowedEvents: input.allowedEvents ?? null };
  try {
    // The audit row reads the settings before the upsert, in the same batch: no read first.
    const [, , [row]] = await deps.db.batch([
      // Nothing to change: the batch stops, and the settings are answered as they are (below).
      guardNot(
        deps.db,
        sql`EXISTS (SELECT 1 ${settingsRowFrom(actor.orgId)} WHERE ${analyticsSettings.callHomeUrl} IS ${after.callHomeUrl} AND ${storedEventsSql()} = ${JSON.stringify(after.allowedEvents)})`,
      ),
      auditInsertSelect(
        deps,
        {
          actorId: actor.id,
          orgId: actor.orgId,
          action: "analytics.settings.developer.changed",
          targetType: "analytics_settings",
          targetId: actor.orgId,
          before: auditViewSql(),
          after,
        },
        settingsRowFrom(actor.orgId),
      ),
      upsertSettings(deps.db, actor.orgId, patch, deps.now()),
    ]);
    return { developer: toDeveloperSettingsOf(row) };
  } catch (e) {
    if (!isGuardAbort(e)) throw e;
    const before = await load(deps, actor);
    if (JSON.stringify(after) === JSON.stringify(auditView(before))) return { developer: before };
    throw new AppError("CONFLICT", "The developer settings were changed meanwhile. Reload and try again.");
  }
}

/**
 * A new random 256-bit AES key (64 hex digits) replaces the old one. It is
 * answered this once; D1 keeps only its AES-GCM ciphertext under the
 * portal's secret-encryption key, and the audit entry says only that it changed.
 */
export async function generateAesKey(deps: Deps, actor: Actor) {
  const { aesKey, setAt } = await generateAesKeyWithSettings(deps, actor);
  return { aesKey, setAt };
}

/** generateAesKey, also answering the settings as written (the page shows them with the new key): no read after. */
export async function generateAesKeyWithSettings(deps: Deps, actor: Actor) {
  requireModule(actor, "developer", "write");
  const aesKey = toHex(randomBytes(32));
  const sealed = await encryptSecret(aesKey, deps.config.secret("TOTP_ENCRYPTION_KEY"));
  const now = deps.now();
  // The audit row reads whether a key was set before the upsert, in the same batch: no read first.
  const [, [row]] = await deps.db.batch([
    auditInsertSelect(
      deps,
      {
        actorId: actor.id,
        orgId: actor.orgId,
        action: AES_KEY_ACTION,
        targetType: "analytics_settings",
        targetId: actor.orgId,
        before: jsonObject({ aesKeySet: jsonBool(sql`coalesce(${analyticsSettings.aesKeyEnc}, '') <> ''`) }),
        after: { aesKeySet: true },
      },
      settingsRowFrom(actor.orgId),
    ),
    upsertSettings(deps.db, actor.orgId, { aesKeyEnc: sealed, aesKeySetAt: now }, now),
  ]);
  return { aesKey, setAt: new Date(now).toISOString(), developer: toDeveloperSettingsOf(row) };
}
