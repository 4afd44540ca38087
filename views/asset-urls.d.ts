// The module scripts/copy-assets.mjs generates (views/asset-urls.js, not in
// git): URLs of the static assets under their content-hashed names.

/** Asset → its URL under public/build/, e.g. "app.css" → "/build/app.3f2a9c01d4e5.css". */
export declare const ASSET_URLS: {
  readonly "app.css": string;
  readonly "app.js": string;
  readonly "htmx.min.js": string;
  readonly "uqr.mjs": string;
  readonly "favicon.svg": string;
};
