// The password step yields a challenge, not a session (F-07): a KV entry bound
// to one account for 10 minutes, referenced by a random id whose hash is the key.
import type { Deps } from "../deps";
import { CHALLENGE_TTL_SECONDS } from "../domain/tokens";
import { sha256Hex } from "../lib/crypto";
import { newSecret } from "../lib/ids";

export interface Challenge {
  userId: string;
  /** The account's brute-force counter key (F-08), so the TOTP step needs no extra lookup. */
  throttleKey: string;
  kind: "verify" | "enroll";
  /** For enrollment: the new TOTP secret, AES-GCM sealed, until a code confirms it. */
  pendingSecretEnc?: string;
  /** Where to go after sign-in (already checked to be on our origin). */
  next?: string;
  expiresAt: number;
}

const key = async (id: string) => `challenge:${await sha256Hex(id)}`;

export async function createChallenge(deps: Deps, challenge: Omit<Challenge, "expiresAt">): Promise<string> {
  const id = newSecret();
  const value: Challenge = { ...challenge, expiresAt: deps.now() + CHALLENGE_TTL_SECONDS * 1000 };
  await deps.kv.put(await key(id), JSON.stringify(value), { expirationTtl: CHALLENGE_TTL_SECONDS });
  return id;
}

/** Null when unknown or expired; KV's TTL is coarse, so the stored deadline is checked too. */
export async function readChallenge(deps: Deps, id: string): Promise<Challenge | null> {
  if (!id || id.length > 100) return null;
  const value = await deps.kv.get<Challenge>(await key(id), "json");
  return value && value.expiresAt > deps.now() ? value : null;
}

export const deleteChallenge = async (deps: Deps, id: string) => deps.kv.delete(await key(id));
