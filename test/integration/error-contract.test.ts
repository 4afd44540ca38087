// Issue 7.3, the error contract: every JSON endpoint answers bad input with
// api.md's error shape — 422 `validation_failed` naming the fields for input
// it can read, another 4xx for input it cannot — and never a 500. The routes
// come from src/openapi/routes.ts (the very schemas jsonBody()/queryParams()
// validate with), checked against the app's live route table, and the bad
// input is derived from each schema, so a route added tomorrow is swept too.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_API_BODY_BYTES } from "../../src/app";
import { API_PREFIX } from "../../src/openapi/document";
import { MAX_COLLECT_BODY_BYTES } from "../../src/routes/api/collect";
import { makeSite } from "../helpers/analytics";
import {
  badQueryValues,
  describeValue,
  dotted,
  fillPath,
  isBounded,
  jsonTypes,
  OVERSIZE,
  pathParams,
  queryString,
  sampleFor,
  stringFields,
  sweptRoutes,
  templateOf,
  withValueAt,
  wrongValueFor,
  type JsonSchema,
  type SweptRoute,
} from "../helpers/bad-input";
import { api, makeOperator, makeOrg, makeUser, ORIGIN, signIn, type ErrorBody } from "../helpers/fixtures";
import { isApiRoute, readRoutes, stateChangingRoutes } from "../helpers/route-table";

const ROUTES = sweptRoutes();
const BODY_ROUTES = ROUTES.filter((r) => r.body);
const QUERY_ROUTES = ROUTES.filter((r) => r.query);
const PATH_ROUTES = ROUTES.filter((r) => pathParams(r.template).length > 0);

/**
 * By design (src/services/collect.ts): tracking snippets already in the wild
 * may send fields this version does not read, and refusing them would lose
 * their hits. Its body is also capped at MAX_COLLECT_BODY_BYTES, so an
 * oversize field is refused as an oversize body.
 */
const COLLECT = "POST /api/v1/collect";
const ACCEPTS_UNKNOWN_FIELDS = new Set([COLLECT]);
const BODY_CAPS: Record<string, number> = { [COLLECT]: MAX_COLLECT_BODY_BYTES };

// ---------------------------------------------------------------- callers

interface Caller {
  cookie?: string;
  authorization?: string;
}

/**
 * One caller per guard kind. The only guards in front of the validators are
 * the session (requireApiSession), Analytics Access = Y (requireAnalyticsApi,
 * /analytics/* and /tokens) and the Bearer-or-session check on /reports;
 * roles, operators, module grants and levels are checked by the services,
 * after validation. So one signed-in workspace owner with AA = Y reaches
 * every session validator, /reports is called with that owner's API token,
 * and public routes get no credentials at all.
 */
const callers: Record<SweptRoute["route"]["auth"], Caller> = { public: {}, session: {}, bearer: {} };
/** Who the path-parameter sweep asks, in turn, until one passes the route's own check (partner-only, customer-only, operator-only routes). */
const pathCallers: { who: string; caller: Caller }[] = [];
let siteKey = "";

beforeAll(async () => {
  const partnerOrg = await makeOrg({ kind: "partner" });
  const customerOrg = await makeOrg({ kind: "customer", channelPartner: false });
  // Every secondary role too, so the services' own checks let the path sweep's garbage ids through to the lookup.
  const owner = (orgId: string) => makeUser({ orgId, role: "partner_manager", analyticsAccess: "Y", analyticsOwner: true, analyticsAdmin: true, purchaser: true });
  const [partnerOwner, customerOwner, operator] = await Promise.all([owner(partnerOrg.id), owner(customerOrg.id), makeOperator()]);
  const [partnerCookie, customerCookie, operatorCookie] = await Promise.all([signIn(partnerOwner), signIn(customerOwner), signIn(operator)]);

  const token = await api("/api/v1/tokens", { cookie: partnerCookie, body: { name: "error contract" } });
  expect(token.status, await token.clone().text()).toBe(201);
  const { secret } = (await token.json()) as { secret: string };

  callers.session = { cookie: partnerCookie };
  callers.bearer = { authorization: `Bearer ${secret}` };
  pathCallers.push(
    { who: "a partner's Partner Manager (workspace owner)", caller: { cookie: partnerCookie } },
    { who: "a customer's Partner Manager (workspace owner)", caller: { cookie: customerCookie } },
    { who: "an operator", caller: { cookie: operatorCookie } },
  );
  siteKey = (await makeSite(partnerOrg.id)).siteKey;
});

interface Send {
  /** The raw body; JSON.stringify of `json` when absent. */
  raw?: string;
  json?: unknown;
  contentType?: string;
  path?: string;
  query?: string;
  caller?: Caller;
}

/** The request as a non-browser API client sends it (no Origin header). */
function send(r: SweptRoute, { raw, json, contentType = "application/json", path, query = "", caller = callers[r.route.auth] }: Send) {
  const headers: Record<string, string> = {};
  if (caller.cookie) headers.cookie = caller.cookie;
  if (caller.authorization) headers.authorization = caller.authorization;
  const hasBody = r.method !== "GET";
  if (hasBody) headers["content-type"] = contentType;
  return SELF.fetch(`${ORIGIN}${path ?? fillPath(r.template, "any-id")}${query}`, {
    method: r.method,
    headers,
    body: hasBody ? (raw ?? JSON.stringify(json ?? {})) : undefined,
    redirect: "manual",
  });
}

// ---------------------------------------------------------------- the shape

const SNAKE_CASE = /^[a-z]+(_[a-z0-9]+)*$/;

/** api.md: `{"error":{"code":"snake_case","message":"...","fields":{...}?}}`, and nothing else. */
async function errorOf(res: Response, allowed: (status: number) => boolean, expected: string): Promise<ErrorBody["error"]> {
  const text = await res.text();
  expect(allowed(res.status), `status ${res.status}, expected ${expected}: ${text.slice(0, 500)}`).toBe(true);
  expect(res.headers.get("content-type"), text.slice(0, 200)).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  const { error } = body;
  expect(Object.keys(error).filter((k) => !["code", "message", "fields"].includes(k))).toEqual([]);
  expect(error.code).toMatch(SNAKE_CASE);
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  if (error.fields !== undefined) {
    expect(typeof error.fields).toBe("object");
    for (const message of Object.values(error.fields)) expect(typeof message).toBe("string");
  }
  if (res.status === 422) {
    expect(error.code).toBe("validation_failed");
    expect(Object.keys(error.fields ?? {}).length, "a 422 names at least one field").toBeGreaterThan(0);
  }
  return error;
}

/** 422 `validation_failed` whose `fields` names every one of `names`. */
async function expectFields(res: Response, ...names: string[]) {
  const error = await errorOf(res, (s) => s === 422, "422");
  for (const name of names) expect(error.fields, `fields should name ${name}`).toHaveProperty([name]);
  return error;
}

// ---------------------------------------------------------------- cases from the schemas

interface Case {
  title: string;
  request: Send;
  check: (res: Response) => Promise<unknown>;
}

const isStrict = (schema: JsonSchema) => schema.additionalProperties === false;

/** Object schemas (the body and any nested object) that let unknown keys through. */
function lenientObjects(schema: JsonSchema, path: string[] = []): string[] {
  const out: string[] = [];
  for (const branch of schema.anyOf ?? schema.oneOf ?? [schema]) {
    if (jsonTypes(branch).has("object") && branch.properties) {
      if (!isStrict(branch)) out.push(path.join(".") || "(body)");
      for (const [key, prop] of Object.entries(branch.properties)) out.push(...lenientObjects(prop, [...path, key]));
    }
    if (jsonTypes(branch).has("array") && branch.items) out.push(...lenientObjects(branch.items, [...path, "0"]));
  }
  return out;
}

/** Twice the API's cap: refused as a whole before anything reads it. */
const FAR_TOO_LARGE = 2 * MAX_API_BODY_BYTES;

function bodyCases(r: SweptRoute): Case[] {
  const schema = r.body!;
  const sample = sampleFor(schema) as Record<string, unknown>;
  const cases: Case[] = [];

  for (const [field, prop] of Object.entries(schema.properties ?? {})) {
    const wrong = wrongValueFor(prop);
    if (wrong === undefined) continue;
    cases.push({ title: `${describeValue(wrong)} for ${field} answers 422 naming ${field}`, request: { json: { ...sample, [field]: wrong } }, check: (res) => expectFields(res, field) });
  }

  const required = schema.required ?? [];
  if (required.length) cases.push({ title: `an empty object answers 422 naming ${required.join(", ")}`, request: { json: {} }, check: (res) => expectFields(res, ...required) });

  const cap = BODY_CAPS[r.name];
  const seen = new Set<string>();
  for (const { path, schema: s } of stringFields(schema)) {
    const name = dotted(path);
    if (seen.has(name) || s.enum || s.const !== undefined) continue;
    seen.add(name);
    const json = withValueAt(sample, path, "x".repeat(OVERSIZE));
    cases.push(
      cap
        ? { title: `${OVERSIZE.toLocaleString("en")} characters in ${name} answer 422 naming the body (capped at ${cap} bytes)`, request: { json }, check: (res) => expectFields(res, "body") }
        : { title: `${OVERSIZE.toLocaleString("en")} characters in ${name} answer 422 naming ${name}`, request: { json }, check: (res) => expectFields(res, name) },
    );
  }

  if (!ACCEPTS_UNKNOWN_FIELDS.has(r.name)) {
    cases.push({ title: "an unknown field answers 422 naming bogusField", request: { json: { ...sample, bogusField: 1 } }, check: (res) => expectFields(res, "bogusField") });
  }

  cases.push(
    { title: "a JSON list instead of an object answers 422", request: { raw: "[1,2]" }, check: (res) => errorOf(res, (s) => s === 422, "422") },
    ...["{not json", ""].map((raw) => ({
      title: `${raw ? "malformed JSON" : "an empty body"} answers 400 or 422 in the error shape`,
      request: { raw },
      check: (res: Response) => errorOf(res, (s) => s === 400 || s === 422, "400 or 422"),
    })),
    // A form, and a type the CSRF check lets through but that is not JSON either: neither may be read as `{}`.
    ...["application/x-www-form-urlencoded", "application/json-seq"].map((contentType) => ({
      title: `Content-Type ${contentType} answers 415 unsupported_media_type`,
      request: { raw: JSON.stringify(sample), contentType },
      check: async (res: Response) => expect((await errorOf(res, (s) => s === 415, "415")).code).toBe("unsupported_media_type"),
    })),
    {
      title: `a ${FAR_TOO_LARGE / 1024 / 1024} MB body answers 413 payload_too_large`,
      request: { raw: JSON.stringify({ ...sample, bogusField: "x".repeat(FAR_TOO_LARGE) }) },
      check: async (res) => expect((await errorOf(res, (s) => s === 413, "413")).code).toBe("payload_too_large"),
    },
  );
  return cases;
}

function queryCases(r: SweptRoute): Case[] {
  const schema = r.query!;
  const cases: Case[] = badQueryValues(schema).map((q) => ({
    title: `?${q.title} answers 422 naming ${q.field}`,
    request: { query: queryString(q.values), json: r.body ? sampleFor(r.body) : undefined },
    check: (res) => expectFields(res, q.field),
  }));
  const required = schema.required ?? [];
  if (required.length) cases.push({ title: `no query answers 422 naming ${required.join(", ")}`, request: {}, check: (res) => expectFields(res, ...required) });
  return cases;
}

// ---------------------------------------------------------------- the table

describe("the swept route list", () => {
  // /api/docs is the people's page of the document, not a JSON endpoint.
  const live = [...readRoutes(), ...stateChangingRoutes()]
    .filter((e) => isApiRoute(e) && e.path.startsWith(`${API_PREFIX}/`))
    .map((e) => `${e.method} ${templateOf(e)}`);
  const listed = new Set(ROUTES.map((r) => r.name));

  it("has every /api/v1 route the app registers (src/openapi/routes.ts)", () => {
    expect(live.filter((name) => !listed.has(name))).toEqual([]);
  });

  it("takes only routes the app registers", () => {
    const registered = new Set(live);
    expect(ROUTES.filter((r) => (r.body || r.query) && !registered.has(r.name)).map((r) => r.name)).toEqual([]);
  });

  it("has bodies and queries to sweep", () => {
    expect(BODY_ROUTES.length).toBeGreaterThan(30);
    expect(QUERY_ROUTES.length).toBeGreaterThan(10);
  });

  it("declares a maximum length for every string field of every body and query", () => {
    const unbounded = [...BODY_ROUTES.map((r) => [r, r.body!] as const), ...QUERY_ROUTES.map((r) => [r, r.query!] as const)].flatMap(([r, schema]) =>
      stringFields(schema)
        .filter((f) => !isBounded(f.schema))
        .map((f) => `${r.name} ${dotted(f.path)}`),
    );
    expect(unbounded).toEqual([]);
  });

  it(`refuses unknown body fields everywhere except ${COLLECT}`, () => {
    const lenient = BODY_ROUTES.flatMap((r) => lenientObjects(r.body!).map((where) => `${r.name} ${where}`));
    expect(lenient).toEqual([`${COLLECT} (body)`]);
  });
});

// ---------------------------------------------------------------- bodies

// Titles go in as strings: vitest shortens interpolated object fields. Every
// sweep case is refused before it changes anything, so the cases run concurrently.
const titled = (cases: Case[]) => cases.map((c) => [c.title, c] as const);
const named = (routes: SweptRoute[]) => routes.map((r) => [r.name, r] as const);

describe.concurrent.each(named(BODY_ROUTES))("%s", (_, r) => {
  it.each(titled(bodyCases(r)))("%s", async (_, { request, check }) => {
    await check(await send(r, request));
  });
});

describe(`${COLLECT} (unknown fields by design)`, () => {
  it("ignores an unknown field and accepts the hit (204), so old tracking snippets lose nothing", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/v1/collect`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ siteKey, type: "visit", bogusField: 1 }),
    });
    expect(res.status, await res.clone().text()).toBe(204);
  });

  it("still refuses a hit whose known fields are wrong, unknown fields or not", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/v1/collect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ siteKey, type: 12345, bogusField: 1 }),
    });
    const error = await expectFields(res, "type");
    expect(error.fields).not.toHaveProperty("bogusField");
  });
});

// ---------------------------------------------------------------- queries

describe.concurrent.each(named(QUERY_ROUTES))("%s", (_, r) => {
  it.each(titled(queryCases(r)))("%s", async (_, { request, check }) => {
    await check(await send(r, request));
  });
});

// ---------------------------------------------------------------- path parameters

const GARBAGE_IDS = [
  { label: "a garbage id", id: `../x'; DROP TABLE users; --<script>` },
  { label: "a 5,000-character id", id: "i".repeat(5000) },
];

describe.concurrent.each(named(PATH_ROUTES))("%s", (_, r) => {
  it.each(GARBAGE_IDS.map((g) => [g.label, g] as const))("%s answers 404 or 422 in the error shape (403 only to callers the route refuses anyway)", async (_, { id }) => {
    const answers: string[] = [];
    for (const { who, caller } of pathCallers) {
      const res = await send(r, { caller, path: fillPath(r.template, id), json: r.body ? sampleFor(r.body) : undefined });
      await errorOf(res, (s) => s === 403 || s === 404 || s === 422, `403, 404 or 422 for ${who}`);
      answers.push(`${res.status} for ${who}`);
      if (res.status !== 403) return;
    }
    expect.fail(`no caller got past the route's own check: ${answers.join("; ")}`);
  });
});
