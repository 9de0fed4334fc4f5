/**
 * Firebase Auth, as the CLI needs it: who an email names. Loaded on first use, so commands that
 * never look a user up do not pay for firebase-admin/auth.
 */

export interface AuthUser {
  uid: string;
  email?: string;
}

/** The Firebase Auth user with this email, or null when there is none. */
export async function userByEmail(email: string): Promise<AuthUser | null> {
  const { getAuth } = await import('firebase-admin/auth');
  try {
    const user = await getAuth().getUserByEmail(email);
    return { uid: user.uid, ...(user.email ? { email: user.email } : {}) };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'auth/user-not-found') return null;
    throw err;
  }
}
