// One error type for every expected failure; app.onError turns it into JSON,
// an htmx fragment or a page, with the status api.md gives each code.
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VALIDATION_FAILED: 422,
  // F-61: each partner-access check answers with its own code (domain/partner-access.ts).
  GRANTOR_NOT_VERIFIED: 403,
  TARGET_IN_OWN_ORGANIZATION: 422,
  NOT_A_PARTNER_ACCOUNT: 422,
  NOT_CHANNEL_PARTNER: 422,
  INVALID_TOKEN: 400,
  EXPIRED_TOKEN: 400,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  MISCONFIGURED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: FieldErrors,
    /** Seconds, sent as Retry-After for RATE_LIMITED. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status() {
    return ERROR_STATUS[this.code];
  }

  toJSON() {
    return {
      error: {
        code: this.code.toLowerCase(),
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
      },
    };
  }
}

export const validationError = (fields: FieldErrors, message = "Some fields need attention.") =>
  new AppError("VALIDATION_FAILED", message, fields);
