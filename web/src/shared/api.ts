/** Minimal JSON client for the kefu API with typed errors. */
import { noteServerDate } from './clock';

/** One problem with one field (of one row, for imports), as the API reports it. */
export interface FieldError {
  /** 1-based row of an imported file; absent for forms. */
  row?: number;
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: FieldError[];

  constructor(status: number, code: string, message: string, details: FieldError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Error code used when the request never reached the server (offline, DNS, CORS …). */
export const NETWORK_ERROR = 'network_error';

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'validation_failed';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    default:
      return 'internal';
  }
}

function isErrorBody(
  value: unknown,
): value is { code: string; message?: unknown; details?: unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  const out: FieldError[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const { row, field, message } = item as Record<string, unknown>;
    out.push({
      row: typeof row === 'number' ? row : undefined,
      field: typeof field === 'string' ? field : '',
      message: typeof message === 'string' ? message : '',
    });
  }
  return out;
}

export interface ApiClientOptions {
  /** Returns the bearer token to send, or null for unauthenticated calls. */
  token: () => string | null;
  /** Called when an authenticated call answers 401. */
  onUnauthorized?: () => void;
}

/** A file fetched from the API. */
export interface Download {
  blob: Blob;
  /** The file name from Content-Disposition (the UTF-8 `filename*` when given), if any. */
  filename: string | null;
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** POSTs a file as the raw request body. */
  upload<T>(path: string, file: Blob, contentType?: string): Promise<T>;
  /** GETs a file. */
  download(path: string): Promise<Download>;
}

interface RequestInit {
  method: string;
  path: string;
  json?: unknown;
  file?: { body: Blob; type: string };
}

/** `attachment; filename="a.xlsx"; filename*=UTF-8''%E7%9F%A5.xlsx` → the best name in it. */
export function dispositionFilename(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header);
  return plain?.[1]?.trim() || null;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  async function send(init: RequestInit, accept: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    const token = options.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (init.file) {
      headers['Content-Type'] = init.file.type;
      body = init.file.body;
    } else if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    }

    let response: Response;
    const sentAt = Date.now();
    try {
      response = await fetch(`/api/v1${init.path}`, {
        method: init.method,
        headers,
        body,
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ApiError(0, NETWORK_ERROR, err instanceof Error ? err.message : String(err));
    }
    noteServerDate(response.headers.get('Date'), sentAt, Date.now());
    if (!response.ok) {
      if (response.status === 401 && token && options.onUnauthorized) options.onUnauthorized();
      throw await errorOf(response);
    }
    return response;
  }

  async function errorOf(response: Response): Promise<ApiError> {
    let data: unknown = null;
    try {
      const text = await response.text();
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (isErrorBody(data)) {
      const message = typeof data.message === 'string' ? data.message : data.code;
      return new ApiError(response.status, data.code, message, fieldErrors(data.details));
    }
    return new ApiError(
      response.status,
      codeForStatus(response.status),
      `HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }

  async function request<T>(init: RequestInit): Promise<T> {
    const response = await send(init, 'application/json');
    const text = await response.text();
    if (!text) return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      return null as T;
    }
  }

  return {
    get: <T>(path: string) => request<T>({ method: 'GET', path }),
    post: <T>(path: string, body?: unknown) => request<T>({ method: 'POST', path, json: body }),
    put: <T>(path: string, body?: unknown) => request<T>({ method: 'PUT', path, json: body }),
    delete: <T>(path: string) => request<T>({ method: 'DELETE', path }),
    upload: <T>(path: string, file: Blob, contentType?: string) =>
      request<T>({
        method: 'POST',
        path,
        file: { body: file, type: contentType || file.type || 'application/octet-stream' },
      }),
    download: async (path: string) => {
      const response = await send({ method: 'GET', path }, '*/*');
      return {
        blob: await response.blob(),
        filename: dispositionFilename(response.headers.get('Content-Disposition')),
      };
    },
  };
}
