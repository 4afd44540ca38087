// Types for bundle.mjs, which test/node/bundle-size.test.ts imports.
export declare const BUNDLE_GZIP_LIMIT_KIB: number;
export interface BundleSize {
  /** Sum of the uploaded modules, KiB. */
  rawKiB: number;
  /** The same, gzipped as wrangler reports it (zlib, default level), KiB. */
  gzipKiB: number;
  files: string[];
}
export declare function buildBundle(outdir: string): Promise<BundleSize & { script: string }>;
export declare function measureBundle(): Promise<BundleSize>;
