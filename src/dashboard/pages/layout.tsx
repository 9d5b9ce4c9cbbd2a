/** The page frame: navigation, the signed-in reviewer, sign-out. Every value is rendered as text (hono/jsx escapes). */
import type { Child, FC } from 'hono/jsx';

export interface Frame {
  readonly reviewer: string;
  readonly csrf: string;
}

const NAV = [
  ['overview', 'Overview'],
  ['events', 'Live events'],
  ['quarantine', 'Quarantine'],
  ['agents', 'Agents'],
  ['rules', 'Rules'],
  ['guards', 'Guards'],
  ['audit', 'Audit'],
] as const;

export const Layout: FC<{ title: string; current: string; frame: Frame; children?: Child }> = ({ title, current, frame, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · Portcullis`}</title>
      <link rel="stylesheet" href="/dashboard/assets/app.css" />
    </head>
    <body>
      <header>
        <span class="brand">Portcullis</span>
        <nav>
          {NAV.map(([path, label]) => (
            <a href={`/dashboard/${path}`} class={path === current ? 'current' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <form class="inline" method="post" action="/dashboard/logout">
          <input type="hidden" name="csrf" value={frame.csrf} />
          <span class="muted">{frame.reviewer} </span>
          <button class="secondary" type="submit">
            Sign out
          </button>
        </form>
      </header>
      <main>
        <h1>{title}</h1>
        {children}
      </main>
      <script src="/dashboard/assets/app.js" defer></script>
    </body>
  </html>
);

export const LoginPage: FC<{ error?: string }> = ({ error }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <title>Sign in · Portcullis</title>
      <link rel="stylesheet" href="/dashboard/assets/app.css" />
    </head>
    <body>
      <form class="login" method="post" action="/dashboard/login">
        <h1>Portcullis</h1>
        {error ? <div class="error">{error}</div> : null}
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
        <p class="muted">A token from admin.tokens in the gateway config. Its name is recorded with your decisions.</p>
      </form>
    </body>
  </html>
);

export function time(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
