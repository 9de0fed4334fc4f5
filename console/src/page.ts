import type { Services } from './firebase';

export type Role = 'viewer' | 'admin';

/** What a page gets: the Firebase services, the tenant shown and the operator's role in it. */
export interface PageContext {
  services: Services;
  tenant: string;
  role: Role;
  /** Path segments after the page's name (a call's uuid). */
  params: string[];
  /** Where a link to another page of the tenant points. */
  href(page: string, ...params: string[]): string;
}

/** A page draws itself into `main` and returns what stops its listeners. */
export type Page = (ctx: PageContext, main: HTMLElement) => () => void;
