// Vite's `?raw` imports: the file's text (used to read wrangler.toml's rate limits in tests).
declare module "*?raw" {
  const text: string;
  export default text;
}
