// The daily clean-up of partner grants (F-64, F-95). Reads already ignore a
// grant that no longer holds (grantHoldsSql); this run deletes such grants and
// says so: the partner user hears that access ended, the customer's Partner
// Managers get a copy, and the audit log records it.
//
// Set-based like the inactivity sweep (services/inactivity.ts): each chunk is
// one atomic batch of INSERT … SELECT statements (mail, audit) followed by the
// DELETE of the same rows, so the work per grant is done by SQLite and a second
// run finds nothing left to do.
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import { auditEvents, organizations, partnerGrants, users } from "../db/schema";
import type { Deps } from "../deps";
import { grantExpiredSql, grantHoldsSql } from "../domain/partner-access";
import { partnerAccessCopyMail, partnerAccessEndedMail } from "../../views/mail/partners";
import { outboxInsertSelect } from "./outbox";
import { htmlEscaped } from "./sql-mail";

/** Grants per chunk: every statement of a chunk touches at most this many grant rows. */
export const PARTNER_SWEEP_CHUNK = 1_000;

export interface PartnerSweepResult {
  ended: number;
  /** D1 statements the run issued. */
  statements: number;
}
const newSqlId = sql`lower(hex(randomblob(12)))`;


const CUSTOMER = "%%CUSTOMER%%";
const PARTNER = "%%PARTNER%%";
const NAME = "%%NAME%%";
const USERS = "%%USERS%%";

/**
 * A template rendered with placeholders, as one SQL concatenation: the
 * template is split at its placeholders and the pieces joined with ||, so a
 * name that happens to contain a placeholder is never substituted again.
 */
const filled = (template: string, values: Record<string, SQL>): SQL =>
  sql.join(
    template
      .split(/(%%[A-Z]+%%)/)
      .filter((part) => part !== "")
      .map((part) => values[part] ?? sql`${part}`),
    sql` || `,
  );

const isoSql = (ms: SQL) => sql`CASE WHEN ${ms} IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch') END`;

type Reason = "expired" | "revoked";

/**
 * The statements that end every grant which no longer holds (within `scope`
 * when given, at most PARTNER_SWEEP_CHUNK of them): mails, audit, then the
 * DELETE of exactly those rows, last. A change that ends grants (deactivating
 * a user, a partner leaving the channel program) appends them to its own
 * batch after its update, so the grants end in the same transaction.
 */
export function endGrantsStatements(deps: Deps, scope?: SQL) {
  const { db, config } = deps;
  const now = deps.now();
  const expired = grantExpiredSql(now);
  const reasonIs = (reason: Reason) => (reason === "expired" ? expired : sql`NOT ${expired}`);
  // The chunk, exact and repeatable inside the batch (ordered by id); the DELETE at its end removes exactly these rows.
  const chunkIds = sql`SELECT ${partnerGrants.id} FROM ${partnerGrants} WHERE NOT ${grantHoldsSql(now)}${scope ? sql` AND ${scope}` : sql``} ORDER BY ${partnerGrants.id} LIMIT ${PARTNER_SWEEP_CHUNK}`;
  const inChunk = sql`${partnerGrants.id} IN (${chunkIds})`;

  /** "Your access to X ended", to each partner user whose account still exists. */
  const toPartnerUsers = (reason: Reason) => {
    const mail = partnerAccessEndedMail({ appName: config.appName, name: NAME, customerName: CUSTOMER, reason });
    const name = sql`pa_u.name`;
    const customer = sql`coalesce(pa_c.name, '')`;
    const text = { [NAME]: name, [CUSTOMER]: customer };
    const html = { [NAME]: htmlEscaped(name), [CUSTOMER]: htmlEscaped(customer) };
    return outboxInsertSelect(
      deps,
      { to: sql`pa_u.email`, subject: filled(mail.subject, text), text: filled(mail.text, text), html: filled(mail.html, html) },
      sql`FROM ${partnerGrants}
        JOIN ${users} AS pa_u ON pa_u.id = ${partnerGrants.partnerUserId}
        LEFT JOIN ${organizations} AS pa_c ON pa_c.id = ${partnerGrants.customerOrgId}
        WHERE ${inChunk} AND ${reasonIs(reason)}`,
    );
  };

  /** One copy per partner organization and Partner Manager of an active customer, listing the users whose access ended. */
  const toPartnerManagers = (reason: Reason) => {
    const mail = partnerAccessCopyMail({
      appName: config.appName,
      origin: config.origin,
      name: NAME,
      customerName: CUSTOMER,
      partnerOrgName: PARTNER,
      event: reason,
      users: USERS,
      actorName: null,
    });
    const values = { [NAME]: sql`pa_pm.name`, [CUSTOMER]: sql`pa_c.name`, [PARTNER]: sql`coalesce(pa_p.name, '')`, [USERS]: sql`ended.emails` };
    const html = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, htmlEscaped(v)]));
    return outboxInsertSelect(
      deps,
      { to: sql`pa_pm.email`, subject: filled(mail.subject, values), text: filled(mail.text, values), html: filled(mail.html, html) },
      sql`FROM (SELECT ${partnerGrants.customerOrgId} AS customer_id, ${partnerGrants.partnerOrgId} AS partner_id,
                group_concat(coalesce(pa_u.email, 'a deleted account'), ', ') AS emails
              FROM ${partnerGrants} LEFT JOIN ${users} AS pa_u ON pa_u.id = ${partnerGrants.partnerUserId}
              WHERE ${inChunk} AND ${reasonIs(reason)}
              GROUP BY ${partnerGrants.customerOrgId}, ${partnerGrants.partnerOrgId}) AS ended
        JOIN ${organizations} AS pa_c ON pa_c.id = ended.customer_id AND pa_c.status = 'active'
        LEFT JOIN ${organizations} AS pa_p ON pa_p.id = ended.partner_id
        JOIN ${users} AS pa_pm ON pa_pm.org_id = ended.customer_id AND pa_pm.role = 'partner_manager' AND pa_pm.status = 'active'`,
    );
  };

  /** The users of the grant's customer/partner pair, as the audit lists them; `where` narrows the pair's rows. */
  const pairUsers = (where: SQL) => sql`json((SELECT json_group_array(json_object('id', pa_g.partner_user_id, 'email', pa_gu.email, 'expiresAt', ${isoSql(sql`pa_g.expires_at`)}))
      FROM ${partnerGrants} AS pa_g LEFT JOIN ${users} AS pa_gu ON pa_gu.id = pa_g.partner_user_id
      WHERE pa_g.customer_org_id = ${partnerGrants.customerOrgId} AND pa_g.partner_org_id = ${partnerGrants.partnerOrgId} AND ${where}))`;

  /** One audit row per customer and partner organization: the users before, after, and why each ended. */
  const audit = () => {
    const partnerOrg = sql`json_object('id', ${partnerGrants.partnerOrgId}, 'name', pa_p.name)`;
    const row: Record<keyof typeof auditEvents.$inferSelect, SQL> = {
      id: newSqlId,
      at: sql`${now}`,
      actorId: sql`NULL`,
      orgId: sql`${partnerGrants.customerOrgId}`,
      action: sql`CASE WHEN min(${expired}) = 1 THEN 'partner_access.expired' ELSE 'partner_access.removed' END`,
      targetType: sql`'partner_access'`,
      targetId: sql`${partnerGrants.partnerOrgId}`,
      before: sql`json_object('partnerOrg', ${partnerOrg}, 'users', ${pairUsers(sql`1`)})`,
      after: sql`json_object('partnerOrg', ${partnerOrg}, 'users', ${pairUsers(sql`pa_g.id NOT IN (${chunkIds})`)}, 'automatic', json('true'),
        'ended', json_group_array(json_object('id', ${partnerGrants.partnerUserId}, 'reason', CASE WHEN ${expired} THEN 'expired' ELSE 'revoked' END)))`,
      ip: sql`NULL`,
    };
    // insert … select fills every column in table order; the Record above makes a new column a type error here.
    const values = (Object.keys(getTableColumns(auditEvents)) as (keyof typeof row)[]).map((k) => row[k]);
    return db.insert(auditEvents).select(
      sql`SELECT ${sql.join(values, sql`, `)}
        FROM ${partnerGrants} LEFT JOIN ${organizations} AS pa_p ON pa_p.id = ${partnerGrants.partnerOrgId}
        WHERE ${inChunk}
        GROUP BY ${partnerGrants.customerOrgId}, ${partnerGrants.partnerOrgId}`,
    );
  };

  return [
    toPartnerUsers("expired"),
    toPartnerUsers("revoked"),
    toPartnerManagers("expired"),
    toPartnerManagers("revoked"),
    audit(),
    db.delete(partnerGrants).where(inChunk),
  ] as const;
}

export async function sweepPartnerGrants(deps: Deps): Promise<PartnerSweepResult> {
  const result: PartnerSweepResult = { ended: 0, statements: 0 };
  for (;;) {
    const results = await deps.db.batch(endGrantsStatements(deps));
    result.statements += results.length;
    const deleted = results[results.length - 1]!.meta.changes;
    result.ended += deleted;
    if (deleted < PARTNER_SWEEP_CHUNK) break;
  }
  return result;
}
