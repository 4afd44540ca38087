// Vite's `?raw` suffix imports a file's text (used for data files the tests check).
declare module "*?raw" {
  const text: string;
  export default text;
}
