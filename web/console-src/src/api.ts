// The console's only way out: POST /graphql on this origin with the admin
// key as a Bearer token. No other host is ever contacted (the page's CSP
// would refuse it anyway).

const KEY = 'shopmuse.console.key';

/** The admin key, kept in sessionStorage only: it dies with the tab. */
export const session = {
  get: (): string => sessionStorage.getItem(KEY) ?? '',
  set: (k: string) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export interface GQLErrorItem {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [k: string]: unknown };
}

/** A failed request: HTTP status, GraphQL errors, or the network. */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: GQLErrorItem[] = [],
  ) {
    super(message);
  }
  get unauthenticated(): boolean {
    return this.status === 401 || this.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
  }
  get forbidden(): boolean {
    return this.status === 403 || this.errors.some((e) => e.extensions?.code === 'FORBIDDEN');
  }
}

export interface UserError {
  field?: string[] | null;
  message: string;
  code: string;
}

/**
 * Runs one GraphQL operation. Any error in the answer rejects the promise,
 * so a screen never shows half an answer as if it were whole.
 */
export async function gql<T>(query: string, variables: Record<string, unknown> = {}, key = session.get(), preview = false): Promise<T> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        Authorization: `Bearer ${key}`,
      },
      // preview: the server shows an admin the copy a shopper would get
      // without counting it as an impression (the shopper view).
      body: JSON.stringify(preview ? { query, variables, extensions: { preview: true } } : { query, variables }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch (e) {
    throw new APIError(`The server cannot be reached: ${(e as Error).message}`, 0);
  }
  let body: { data?: T; errors?: GQLErrorItem[] } | undefined;
  try {
    body = await res.json();
  } catch {
    throw new APIError(`The server answered ${res.status} ${res.statusText} without a GraphQL body`, res.status);
  }
  if (body?.errors?.length) {
    throw new APIError(body.errors.map((e) => e.message).join('; '), res.status, body.errors);
  }
  if (!res.ok || !body?.data) {
    throw new APIError(`The server answered ${res.status} ${res.statusText}`, res.status);
  }
  return body.data;
}

/**
 * Which of the optional root fields this server has. One request names them
 * all; the validator reports each unknown one as `Cannot query field "x"`.
 * This works with introspection turned off, as it is by default once keys
 * are set.
 */
export async function probeFields(names: string[], key: string): Promise<Set<string>> {
  const present = new Set(names);
  const query = `query ConsoleProbe { ${names.map((n) => `${n} { __typename }`).join(' ')} }`;
  try {
    await gql(query, {}, key);
  } catch (e) {
    if (!(e instanceof APIError)) throw e;
    if (e.unauthenticated) throw e;
    for (const err of e.errors) {
      const m = /Cannot query field "(\w+)" on type "Query"/.exec(err.message);
      if (m) present.delete(m[1]);
    }
  }
  return present;
}
