// What a person recognizes a session or a new sign-in by: "Firefox on
// Windows", not the User-Agent header. Only a label for people; the header
// itself is kept beside it (the session row's tooltip, the mail), so a label
// that guesses wrong hides nothing. A parser library would know more
// browsers but costs several KiB of the Worker's bundle for a display string.

/** Browser families, most specific first: Edge and Opera also say "Chrome", Chrome also says "Safari". */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\bOPR\/|\bOpera\b/, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\bFirefox\/|\bFxiOS\//, "Firefox"],
  [/\bHeadlessChrome\//, "Chrome (headless)"],
  [/\bChrome\/|\bCriOS\/|\bChromium\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
];

/** Systems, most specific first: iPhones say "Mac OS X", Android says "Linux". */
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bWindows\b/, "Windows"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
];

const first = (rules: [RegExp, string][], ua: string) => rules.find(([pattern]) => pattern.test(ua))?.[1];

/** "Chrome on Linux", "Safari on iPhone", "curl" for a client that names only itself, "unknown device" without a header. */
export function deviceLabel(userAgent: string | null | undefined): string {
  const ua = userAgent?.trim();
  if (!ua) return "unknown device";
  const browser = first(BROWSERS, ua);
  const system = first(SYSTEMS, ua);
  if (browser) return system ? `${browser} on ${system}` : browser;
  // Scripts and tools name themselves first: "curl/8.5.0", "python-requests/2.31".
  const product = /^([A-Za-z][\w.-]{0,39})\//.exec(ua)?.[1];
  if (product && product !== "Mozilla") return product;
  return system ? `a browser on ${system}` : "unknown device";
}
