import type { Child } from "hono/jsx";

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:44rem;margin:2.5rem auto;padding:0 1rem;color:#1d2329;line-height:1.5}
h1{font-size:1.6rem;margin-bottom:.2rem}
code,pre{background:#f2f4f6;border-radius:4px;padding:.1rem .3rem;font-size:.92em}
pre{padding:.7rem;overflow-x:auto}
.muted{color:#5b6670}
.notice{border-left:4px solid #d28b00;background:#fff8e6;padding:.6rem .9rem}
`;

/** The frame of every server-rendered page. hono/jsx escapes every value placed in it. */
export function Page(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style>{STYLE}</style>
      </head>
      <body>{props.children}</body>
    </html>
  );
}
