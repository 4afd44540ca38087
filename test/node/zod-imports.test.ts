/// <reference types="vite/client" />
// Schemas reach zod through src/lib/zod.ts, as a namespace: `import * as z`.
// zod/mini exports the whole library as one object named `z` too, so a named
// `import { z }` from there type-checks, runs, and puts every function and
// all 40-odd locales in the Worker (about 75 KiB gzip); classic zod would add
// its methods and JSON-Schema converter. The bundle-size test would fail
// without saying why; this says where.
import { expect, it } from "vitest";

const SOURCES = import.meta.glob<string>(["../../src/**/*.{ts,tsx}", "../../views/**/*.{ts,tsx}"], { query: "?raw", import: "default", eager: true });
const ENTRY = "/src/lib/zod";

/** Every import of zod that is not `import [type] * as z from ".../lib/zod"`, as "file: statement". */
function strayZodImports(): string[] {
  const stray: string[] = [];
  for (const [key, text] of Object.entries(SOURCES)) {
    const file = new URL(key, "file:///test/node/").pathname;
    if (file === `${ENTRY}.ts`) continue;
    for (const [statement, from] of text.matchAll(/^import\b[^;]*?from\s+"([^"]*)"/gm)) {
      const isPackage = from === "zod" || from!.startsWith("zod/");
      const isEntry = from!.startsWith(".") && new URL(from!, `file://${file}`).pathname === ENTRY;
      if (isPackage) stray.push(`${file}: ${statement} (import src/lib/zod.ts instead)`);
      else if (isEntry && !/^import (type )?\* as z from/.test(statement)) stray.push(`${file}: ${statement}`);
    }
  }
  return stray;
}

it("imports zod only through src/lib/zod.ts, as `import * as z`, so the bundle keeps only the functions used", () => {
  expect(Object.keys(SOURCES).length).toBeGreaterThan(100);
  expect(strayZodImports()).toEqual([]);
});
