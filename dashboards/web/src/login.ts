import { showDemo } from './demo-ribbon.js';
import type { MessageKey } from './i18n.js';

/**
 * Signing in and out, for any page of the dashboards. The form's words carry `data-i18n` keys, so the page's
 * own translation pass (and its language switch) covers them; the page only gives a place for the form and
 * has `[data-testid="user-name"]` and `[data-testid="logout"]` in its header.
 */

export interface SignedInUser {
  name: string;
  role: 'viewer' | 'admin';
}

type Translate = (key: MessageKey) => string;

const FORM = `
  <form class="login" data-testid="login-form" novalidate>
    <h1 data-i18n="login.title">Connexion</h1>
    <p class="login-intro" data-i18n="login.intro"></p>
    <label><span data-i18n="login.name">Nom</span>
      <input name="name" data-testid="login-name" autocomplete="username" autocapitalize="none" spellcheck="false" required />
    </label>
    <label><span data-i18n="login.password">Mot de passe</span>
      <input name="password" type="password" data-testid="login-password" autocomplete="current-password" required />
    </label>
    <p class="login-error" data-testid="login-error" role="alert" hidden></p>
    <button type="submit" data-testid="login-submit" data-i18n="login.submit">Se connecter</button>
    <p class="login-hint" data-testid="login-no-account" hidden><span data-i18n="login.noAccount"></span> <code></code></p>
  </form>`;

const wait = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));

/** Who the session cookie says is signed in; undefined when there is none (401). Retries while the server is unreachable. */
async function currentUser(): Promise<SignedInUser | undefined> {
  for (;;) {
    try {
      const res = await fetch('/api/v1/me', { headers: { accept: 'application/json' } });
      if (res.ok) return (await res.json()) as SignedInUser;
      if (res.status === 401) return undefined;
    } catch {
      // The server is down or restarting: the page waits for it rather than showing a form that cannot work.
    }
    await wait(5_000);
  }
}

function showForm(screen: HTMLElement, t: Translate): Promise<SignedInUser> {
  screen.innerHTML = FORM;
  for (const el of screen.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey);
  screen.hidden = false;
  const form = screen.querySelector<HTMLFormElement>('form')!;
  const error = screen.querySelector<HTMLElement>('[data-testid="login-error"]')!;
  const submit = screen.querySelector<HTMLButtonElement>('[data-testid="login-submit"]')!;
  form.querySelector<HTMLInputElement>('[data-testid="login-name"]')!.focus();

  void fetch('/api/v1/login-state')
    .then((res) => res.json() as Promise<{ accounts: boolean; firstAdminCommand?: string; demo?: boolean }>)
    .then((state) => {
      if (state.demo) showDemo();
      if (state.accounts || !state.firstAdminCommand) return;
      const hint = screen.querySelector<HTMLElement>('[data-testid="login-no-account"]')!;
      hint.querySelector('code')!.textContent = state.firstAdminCommand;
      hint.hidden = false;
    })
    .catch(() => undefined);

  /** A message of ours (re-translated on a language switch), or the server's own (already in both languages). */
  const showError = (message: { key: MessageKey } | { text: string }) => {
    if ('key' in message) {
      error.dataset.i18n = message.key;
      error.textContent = t(message.key);
    } else {
      delete error.dataset.i18n;
      error.textContent = message.text;
    }
    error.hidden = false;
  };

  return new Promise((resolve) => {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      submit.disabled = true;
      fetch('/api/v1/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ name: String(data.get('name') ?? ''), password: String(data.get('password') ?? '') }),
      })
        .then(async (res) => {
          if (res.ok) {
            screen.hidden = true;
            screen.replaceChildren();
            resolve((await res.json()) as SignedInUser);
            return;
          }
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          // 401 is a wrong name or password; 400 an empty field; 429 and 503 say what happened themselves.
          if (res.status === 401 || res.status === 400 || !body.message) showError({ key: 'login.wrong' });
          else showError({ text: body.message });
          form.querySelector<HTMLInputElement>('[data-testid="login-password"]')!.select();
        })
        .catch(() => showError({ key: 'login.unreachable' }))
        .finally(() => (submit.disabled = false));
    });
  });
}

/**
 * The signed-in user: at once when the session cookie is valid, otherwise once the visitor has signed in
 * through the form shown in `screen`. Then the header shows the name and a « Se déconnecter » button.
 */
export async function signIn(screen: HTMLElement, t: Translate): Promise<SignedInUser> {
  const user = (await currentUser()) ?? (await showForm(screen, t));
  document.querySelector('[data-testid="user-name"]')!.textContent = user.name;
  document.querySelector('[data-testid="logout"]')!.addEventListener('click', () => {
    // A JSON body, as the server asks of every POST (a cross-site form cannot send one).
    void fetch('/api/v1/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).finally(() => location.reload());
  });
  document.body.classList.add('signed-in');
  return user;
}

/** An API call answered 401: the session ended (signed out elsewhere, account removed, password changed). */
export function sessionEnded(): void {
  location.reload();
}
