/** Shopper session for the chat widget: query parameters and the stored visitor token. */
import { ApiError, createApiClient } from '@/shared/api';
import type { WidgetSession, WidgetSessionRequest } from '@/shared/types';

export interface WidgetParams {
  shop: string | null;
  userId: string | null;
  userHash: string | null;
  nickname: string | null;
}

export function readParams(search: string = location.search): WidgetParams {
  const q = new URLSearchParams(search);
  const get = (name: string): string | null => {
    const value = q.get(name)?.trim();
    return value ? value : null;
  };
  return {
    shop: get('shop'),
    userId: get('user_id'),
    userHash: get('user_hash'),
    nickname: get('nickname'),
  };
}

function storageKey(params: WidgetParams): string {
  return `kefu.widget.${params.shop ?? ''}.${params.userId ?? '~visitor'}`;
}

function storedToken(params: WidgetParams): string | null {
  try {
    return localStorage.getItem(storageKey(params));
  } catch {
    return null;
  }
}

function storeToken(params: WidgetParams, token: string | null): void {
  try {
    if (token) localStorage.setItem(storageKey(params), token);
    else localStorage.removeItem(storageKey(params));
  } catch {
    // storage unavailable: a new session is created on the next visit
  }
}

let currentToken: string | null = null;

export const widgetApi = createApiClient({ token: () => currentToken });

export function visitorToken(): string | null {
  return currentToken;
}

/**
 * Opens (or resumes) the shopper session. A stored visitor token is offered
 * first; if the server rejects it, a fresh session is started.
 */
export async function openSession(params: WidgetParams): Promise<WidgetSession> {
  if (!params.shop) throw new Error('missing shop');
  const body: WidgetSessionRequest = { shop: params.shop };
  if (params.userId) body.user_id = params.userId;
  if (params.userHash) body.user_hash = params.userHash;
  if (params.nickname) body.nickname = params.nickname;

  const previous = storedToken(params);
  currentToken = null;
  let session: WidgetSession;
  try {
    session = await widgetApi.post<WidgetSession>(
      '/widget/sessions',
      previous ? { ...body, visitor_token: previous } : body,
    );
  } catch (err) {
    const stale =
      previous && err instanceof ApiError && [400, 401, 403, 404].includes(err.status);
    if (!stale) throw err;
    storeToken(params, null);
    session = await widgetApi.post<WidgetSession>('/widget/sessions', body);
  }
  currentToken = session.token;
  storeToken(params, session.token);
  return session;
}

export function forgetSession(params: WidgetParams): void {
  currentToken = null;
  storeToken(params, null);
}
