// The one node:crypto API the Worker uses (domain/two-factor.ts), provided by
// the Workers runtime under the nodejs_compat flag. Declared here instead of
// installing @types/node, which would also declare Node globals the Worker
// does not have.
declare module "node:crypto" {
  interface Hmac {
    update(data: Uint8Array | string): Hmac;
    digest(): Uint8Array;
  }
  export function createHmac(algorithm: string, key: Uint8Array | string): Hmac;
}
