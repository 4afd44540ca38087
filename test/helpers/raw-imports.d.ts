// Vite's `?raw` imports (a file's text), used by the UI tests to check the
// built asset names and public/_headers against the files themselves.
declare module "*?raw" {
  const text: string;
  export default text;
}
