/** The signed-in agent's session, persisted in localStorage. */
import { reactive, readonly } from 'vue';
import { createApiClient } from '@/shared/api';
import type { Agent, LoginResponse, MeResponse, Shop } from '@/shared/types';

const STORAGE_KEY = 'kefu.agent.session';
const LAST_SHOP_KEY = 'kefu.agent.lastShop';

interface SessionState {
  token: string | null;
  expiresAt: string | null;
  agent: Agent | null;
  shop: Shop | null;
  /** Set when the session ended because the server rejected the token. */
  expired: boolean;
}

function load(): SessionState {
  const empty: SessionState = { token: null, expiresAt: null, agent: null, shop: null, expired: false };
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return empty;
    const saved = JSON.parse(raw) as Partial<LoginResponse>;
    if (!saved.token || !saved.agent || !saved.shop) return empty;
    if (saved.expires_at && Date.parse(saved.expires_at) <= Date.now()) {
      localStorage.removeItem(STORAGE_KEY);
      return { ...empty, expired: true };
    }
    return {
      token: saved.token,
      expiresAt: saved.expires_at ?? null,
      agent: saved.agent,
      shop: saved.shop,
      expired: false,
    };
  } catch {
    return empty;
  }
}

const state = reactive<SessionState>(load());

export const session = readonly(state);

const unauthorizedListeners = new Set<() => void>();

/** Registers a callback run when the server rejects the agent token (401). */
export function onSessionExpired(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function persist(): void {
  try {
    if (state.token && state.agent && state.shop) {
      localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({
          token: state.token,
          expires_at: state.expiresAt,
          agent: state.agent,
          shop: state.shop,
        }),
      );
    } else {
      localStorage.removeItem(STORAGE_KEY);
    }
  } catch {
    // storage unavailable: the session lasts for this page only
  }
}

function clear(expired: boolean): void {
  state.token = null;
  state.expiresAt = null;
  state.agent = null;
  state.shop = null;
  state.expired = expired;
  persist();
}

export const api = createApiClient({
  token: () => state.token,
  onUnauthorized: () => {
    clear(true);
    for (const listener of unauthorizedListeners) listener();
  },
});

export function isSignedIn(): boolean {
  if (!state.token) return false;
  if (state.expiresAt && Date.parse(state.expiresAt) <= Date.now()) {
    clear(true);
    return false;
  }
  return true;
}

export function lastShop(): string {
  try {
    return localStorage.getItem(LAST_SHOP_KEY) || 'demo';
  } catch {
    return 'demo';
  }
}

export async function login(shop: string, username: string, password: string): Promise<void> {
  const res = await api.post<LoginResponse>('/auth/login', { shop, username, password });
  state.token = res.token;
  state.expiresAt = res.expires_at;
  state.agent = res.agent;
  state.shop = res.shop;
  state.expired = false;
  persist();
  try {
    localStorage.setItem(LAST_SHOP_KEY, shop);
  } catch {
    // ignore
  }
}

/** Refreshes agent and shop details; a 401 ends the session via onUnauthorized. */
export async function refreshMe(): Promise<void> {
  const me = await api.get<MeResponse>('/auth/me');
  if (!state.token) return;
  state.agent = me.agent;
  state.shop = me.shop;
  persist();
}

export async function logout(): Promise<void> {
  if (state.token) {
    try {
      await api.post<unknown>('/auth/logout');
    } catch {
      // the token is dropped locally either way
    }
  }
  clear(false);
}
