/**
 * The closed list of error codes flash-coupon reports. Clients may switch on `code`;
 * the HTTP status and whether a retry can help travel with it.
 */
export const ERRORS = {
  INVALID_JSON: { status: 400, canRetry: false },
  VALIDATION_FAILED: { status: 400, canRetry: false },
  INVALID_USER_ID: { status: 400, canRetry: false },
  INVALID_COUPON_ID: { status: 400, canRetry: false },
  INVALID_PATH: { status: 400, canRetry: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, canRetry: false },
  UNAUTHORIZED: { status: 401, canRetry: false },
  NOT_STARTED: { status: 403, canRetry: true },
  EXPIRED: { status: 403, canRetry: false },
  USER_MISMATCH: { status: 403, canRetry: false },
  NOT_FOUND: { status: 404, canRetry: false },
  COUPON_NOT_FOUND: { status: 404, canRetry: false },
  ISSUE_NOT_FOUND: { status: 404, canRetry: false },
  METHOD_NOT_ALLOWED: { status: 405, canRetry: false },
  ALREADY_ISSUED: { status: 409, canRetry: false },
  SOLD_OUT: { status: 409, canRetry: false },
  PAYLOAD_TOO_LARGE: { status: 413, canRetry: false },
  RATE_LIMITED: { status: 429, canRetry: true },
  UNAVAILABLE: { status: 503, canRetry: true },
  INTERNAL: { status: 500, canRetry: true },
  CONFIG_INVALID: { status: 500, canRetry: false },
} as const satisfies Record<string, { status: number; canRetry: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly canRetry: boolean;
  readonly fields: FieldError[] | undefined;
  /** Response headers the error calls for (WWW-Authenticate, Retry-After). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; fields?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.canRetry = ERRORS[code].canRetry;
    this.fields = options.fields;
    this.headers = options.headers;
  }

  /** The JSON body of an error response: never a stack trace. */
  toBody(): { error: { code: ErrorCode; message: string; fields?: FieldError[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields === undefined ? {} : { fields: this.fields }),
      },
    };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
