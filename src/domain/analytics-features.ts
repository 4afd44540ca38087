// F-44: the pure rules behind the module-guarded features (blocks, license
// keys, ReachOut campaigns, quota). Services validate and decide with these;
// unit tests cover them without D1.

// ---------------------------------------------------------------- IP addresses (Product Administrator)

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b <= 255) ? bytes : null;
}

function parseGroups(text: string): number[] | null {
  if (text === "") return [];
  const groups = text.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  return groups.some(Number.isNaN) ? null : groups;
}

function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || !text.includes(":")) return null;
  let head = text;
  let tail: number[] = [];
  if (text.includes(".")) {
    // An embedded IPv4 address takes the last two groups (::ffff:192.0.2.1).
    const lastColon = text.lastIndexOf(":");
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    head = text[lastColon - 1] === ":" ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
  }
  const gap = head.indexOf("::");
  if (gap !== head.lastIndexOf("::")) return null;
  if (gap < 0) {
    const groups = parseGroups(head);
    return groups && groups.length + tail.length === 8 ? [...groups, ...tail] : null;
  }
  const left = parseGroups(head.slice(0, gap));
  const right = parseGroups(head.slice(gap + 2));
  if (!left || !right) return null;
  const missing = 8 - left.length - right.length - tail.length;
  return missing >= 1 ? [...left, ...Array<number>(missing).fill(0), ...right, ...tail] : null;
}

/** RFC 5952: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
function formatIpv6(groups: number[]): string {
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(":");
  return `${hex.slice(0, best.start).join(":")}::${hex.slice(best.start + best.length).join(":")}`;
}

/**
 * The one spelling of an IPv4 or IPv6 address (RFC 5952 for IPv6), so that a
 * block matches however the address was typed; null when it is not an address.
 * Collection compares the client's address in this form.
 */
export function canonicalIp(text: string): string | null {
  const value = text.trim();
  if (value.length === 0 || value.length > 45) return null;
  const v4 = parseIpv4(value);
  if (v4) return v4.join(".");
  const v6 = parseIpv6(value);
  return v6 ? formatIpv6(v6) : null;
}

/** A blocked client is named by the client id its product sends: visible ASCII, no spaces. */
export const CLIENT_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

export const BLOCK_KINDS = ["ip", "client"] as const;
export type BlockKind = (typeof BLOCK_KINDS)[number];
export const BLOCK_KIND_LABELS: Record<BlockKind, string> = { ip: "IP address", client: "Client" };

// ---------------------------------------------------------------- days and months (data deletion, quota)

/** A calendar day as stored in analytics_daily_stats (YYYY-MM-DD, UTC) that really exists. */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** The UTC calendar month of `now`: its label and the day range [first, nextFirst). */
export function utcMonth(now: number) {
  const d = new Date(now);
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  const next = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
  return { month: first.toISOString().slice(0, 7), firstDay: first.toISOString().slice(0, 10), nextMonthFirstDay: next.toISOString().slice(0, 10) };
}

/** Share of the quota used, one decimal; anything collected against a zero quota is 100 % and more. */
export function quotaPercent(used: number, quota: number): number {
  if (quota <= 0) return used > 0 ? 100 : 0;
  return Math.round((used / quota) * 1000) / 10;
}

// ---------------------------------------------------------------- license keys (License Key Management)

/** 8–64 letters, digits and dashes, compared exactly as typed. */
export const LICENSE_KEY_PATTERN = /^[A-Za-z0-9-]{8,64}$/;
export const LICENSE_KEY_STATUSES = ["active", "revoked"] as const;
export type LicenseKeyStatus = (typeof LICENSE_KEY_STATUSES)[number];
export const LICENSE_KEY_STATUS_LABELS: Record<LicenseKeyStatus, string> = { active: "Active", revoked: "Revoked" };

// ---------------------------------------------------------------- campaigns (ReachOut)

export const CAMPAIGN_STATUSES = ["draft", "active", "ended"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const CAMPAIGN_STATUS_LABELS: Record<CampaignStatus, string> = { draft: "Draft", active: "Active", ended: "Ended" };

/**
 * Where a campaign may go next. Ended is final; an active campaign has been
 * shown to users, so it can only end (going back to draft would let its
 * history be deleted).
 */
export const CAMPAIGN_TRANSITIONS: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ["active", "ended"],
  active: ["ended"],
  ended: [],
};

/** Null when the change is allowed, otherwise why not. Any change to an ended campaign (name and message too) is refused. */
export function campaignChangeRefusal(current: CampaignStatus, change: { status?: CampaignStatus }): string | null {
  if (current === "ended") return "This campaign has ended; an ended campaign cannot be changed.";
  if (change.status && change.status !== current && !CAMPAIGN_TRANSITIONS[current].includes(change.status)) {
    return `A ${CAMPAIGN_STATUS_LABELS[current].toLowerCase()} campaign cannot go back to ${CAMPAIGN_STATUS_LABELS[change.status].toLowerCase()}; it can only end.`;
  }
  return null;
}

/** Only drafts are deleted: a campaign users have seen stays on record. */
export const canDeleteCampaign = (status: CampaignStatus) => status === "draft";
