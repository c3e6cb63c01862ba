// Vite's `?raw` imports: the file's text (used to read wrangler.toml's rate limits in tests).
declare module "*?raw" {
  const text: string;
  export default text;
}

// Vite's `import.meta.glob` (test/doc-examples.test.ts reads the Markdown files with it).
interface ImportMeta {
  glob(patterns: string | string[], options: { query: "?raw"; import: "default"; eager: true }): Record<string, unknown>;
}
